import { EntitySchema } from 'typeorm';

/** One line per export request, refused ones included: who, when, what, why, and what came of it. */
export interface ExportAudit {
  id: string;
  at: Date;
  memberId: string | null;
  memberName: string | null;
  channelId: string;
  fromDate: string | null;
  toDate: string | null;
  timezone: string | null;
  filters: Record<string, string[]> | null;
  reason: string | null;
  outcome: string;
  httpStatus: number;
  errorCode: string | null;
  message: string | null;
  jobId: string | null;
  rowCount: number | null;
  bytes: number | null;
  sha256: string | null;
}

const nullable = { nullable: true };

export const ExportAuditEntity = new EntitySchema<ExportAudit>({
  name: 'ExportAudit',
  tableName: 'export_audit',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    at: { type: 'timestamptz', default: () => 'now()' },
    memberId: { type: 'text', name: 'member_id', ...nullable },
    memberName: { type: 'text', name: 'member_name', ...nullable },
    channelId: { type: 'text', name: 'channel_id' },
    fromDate: { type: 'text', name: 'from_date', ...nullable },
    toDate: { type: 'text', name: 'to_date', ...nullable },
    timezone: { type: 'text', ...nullable },
    filters: { type: 'jsonb', ...nullable },
    reason: { type: 'text', ...nullable },
    outcome: { type: 'text' },
    httpStatus: { type: 'integer', name: 'http_status' },
    errorCode: { type: 'text', name: 'error_code', ...nullable },
    message: { type: 'text', ...nullable },
    jobId: { type: 'uuid', name: 'job_id', ...nullable },
    rowCount: { type: 'integer', name: 'row_count', ...nullable },
    bytes: { type: 'bigint', ...nullable, transformer: { to: (v) => v, from: (v) => (v === null ? null : Number(v)) } },
    sha256: { type: 'text', ...nullable },
  },
  indices: [{ name: 'export_audit_channel_idx', columns: ['channelId', 'at'] }],
});
