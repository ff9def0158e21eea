import { EntitySchema } from 'typeorm';

export type ExportJobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'expired';

/** An export request and its progress. The password is never here: it lives in the accepting process's memory only. */
export interface ExportJob {
  id: string;
  channelId: string;
  memberId: string;
  memberName: string | null;
  fromDate: string;
  toDate: string;
  timezone: string;
  filters: Record<string, string[]>;
  reason: string;
  status: ExportJobStatus;
  rowsWritten: number;
  totalRows: number;
  error: string | null;
  fileName: string;
  filePath: string | null;
  bytes: number | null;
  sha256: string | null;
  attempts: number;
  workerId: string | null;
  heartbeatAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  expiresAt: Date | null;
}

const nullable = { nullable: true };

export const ExportJobEntity = new EntitySchema<ExportJob>({
  name: 'ExportJob',
  tableName: 'export_jobs',
  columns: {
    id: { type: 'uuid', primary: true },
    channelId: { type: 'text', name: 'channel_id' },
    memberId: { type: 'text', name: 'member_id' },
    memberName: { type: 'text', name: 'member_name', ...nullable },
    fromDate: { type: 'text', name: 'from_date' },
    toDate: { type: 'text', name: 'to_date' },
    timezone: { type: 'text' },
    filters: { type: 'jsonb', default: () => "'{}'" },
    reason: { type: 'text' },
    status: { type: 'text' },
    rowsWritten: { type: 'integer', name: 'rows_written', default: 0 },
    totalRows: { type: 'integer', name: 'total_rows', default: 0 },
    error: { type: 'text', ...nullable },
    fileName: { type: 'text', name: 'file_name' },
    filePath: { type: 'text', name: 'file_path', ...nullable },
    bytes: { type: 'bigint', ...nullable, transformer: { to: (v) => v, from: (v) => (v === null ? null : Number(v)) } },
    sha256: { type: 'text', ...nullable },
    attempts: { type: 'integer', default: 0 },
    workerId: { type: 'text', name: 'worker_id', ...nullable },
    heartbeatAt: { type: 'timestamptz', name: 'heartbeat_at', ...nullable },
    createdAt: { type: 'timestamptz', name: 'created_at', default: () => 'now()' },
    startedAt: { type: 'timestamptz', name: 'started_at', ...nullable },
    finishedAt: { type: 'timestamptz', name: 'finished_at', ...nullable },
    expiresAt: { type: 'timestamptz', name: 'expires_at', ...nullable },
  },
  indices: [
    { name: 'export_jobs_channel_idx', columns: ['channelId', 'createdAt'] },
    { name: 'export_jobs_status_idx', columns: ['status'] },
  ],
  checks: [{ name: 'export_jobs_status_check', expression: `status IN ('queued', 'running', 'succeeded', 'failed', 'expired')` }],
});
