import { DataSource, EntityManager } from 'typeorm';
import { AppError, httpStatusOf } from '@casestats/config';
import { ExportAudit, ExportAuditEntity } from '@casestats/read-model';
import type { Member } from '../auth/member-token';

type RequestBody = Record<string, unknown> | undefined;

function requestFields(body: RequestBody) {
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 500) : null);
  return {
    fromDate: text(body?.from),
    toDate: text(body?.to),
    timezone: text(body?.timezone),
    filters: body?.filters && typeof body.filters === 'object' ? (body.filters as Record<string, string[]>) : null,
    reason: text(body?.reason),
  };
}

/** Every request is recorded, refused ones included; the password is never part of it. */
export class AuditLog {
  constructor(private readonly db: DataSource) {}

  /** `tx`: the job row's transaction, so that the line exists before its job can run and end. */
  async accepted(member: Member, channelId: string, body: RequestBody, jobId: string, rowCount: number, tx: EntityManager = this.db.manager): Promise<void> {
    await tx.getRepository(ExportAuditEntity).insert({
      memberId: member.id,
      memberName: member.name,
      channelId,
      ...requestFields(body),
      outcome: 'accepted',
      httpStatus: 202,
      jobId,
      rowCount,
    });
  }

  async refused(member: Member | null, channelId: string, body: RequestBody, err: unknown): Promise<void> {
    const status = httpStatusOf(err);
    await this.db.getRepository(ExportAuditEntity).insert({
      memberId: member?.id ?? null,
      memberName: member?.name ?? null,
      channelId,
      ...requestFields(body),
      outcome: status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'refused',
      httpStatus: status,
      errorCode: err instanceof AppError ? err.code : 'INTERNAL',
      message: err instanceof AppError ? err.message : 'internal error',
      rowCount: err instanceof AppError && typeof err.details.count === 'number' ? err.details.count : null,
    });
  }

  /** The job's outcome, size and checksum, on the line of the request that created it. */
  async finished(jobId: string, outcome: 'succeeded' | 'failed', fields: { rowCount?: number; bytes?: number; sha256?: string; message?: string }) {
    await this.db.getRepository(ExportAuditEntity).update({ jobId }, { outcome, ...fields });
  }

  async list(channelId: string, limit = 200): Promise<ExportAudit[]> {
    return this.db.getRepository(ExportAuditEntity).find({ where: { channelId }, order: { id: 'DESC' }, take: limit });
  }
}
