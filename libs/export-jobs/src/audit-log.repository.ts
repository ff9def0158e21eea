import type { DataSource, EntityManager } from 'typeorm';
import { AppError, type Log, httpStatusOf } from '@casestats/config';
import { ExportAudit, ExportAuditEntity } from '@casestats/read-model';

/** Who asked, as the audit line keeps it (the export app's signed-in member has these). */
interface Member {
  id: string;
  name: string | null;
}

type RequestBody = Record<string, unknown> | undefined;

const FILTER_KEYS = ['teamIds', 'assigneeIds', 'tags', 'mediumNames', 'directions', 'caseStates', 'userChatStates'];

/**
 * What a request said, bounded and storable whatever it was: PostgreSQL refuses NUL in text and
 * jsonb refuses a lone surrogate. `max` counts code points: cutting UTF-16 units could split a
 * pair and leave a lone surrogate behind, the very thing jsonb refuses.
 */
export function storable(text: string, max: number): string {
  const wellFormed = text.replaceAll('\u0000', '\ufffd').replace(/\p{Cs}/gu, '\ufffd');
  if (wellFormed.length <= max) return wellFormed;
  let end = 0;
  for (let kept = 0; kept < max && end < wellFormed.length; kept++) end += (wellFormed.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  return wellFormed.slice(0, end);
}

/** The known filters only, 50 values of 200 characters each at most: a refused body is not kept whole. */
function boundedFilters(filters: unknown): Record<string, string[]> | null {
  if (!filters || typeof filters !== 'object' || Array.isArray(filters)) return null;
  const kept: Record<string, string[]> = {};
  for (const key of FILTER_KEYS) {
    const values = Object.prototype.hasOwnProperty.call(filters, key) ? (filters as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(values)) kept[key] = values.slice(0, 50).map((v) => (typeof v === 'string' ? storable(v, 200) : '(not a string)'));
  }
  return kept;
}

function requestFields(body: RequestBody) {
  const text = (v: unknown) => (typeof v === 'string' ? storable(v, 500) : null);
  return {
    fromDate: text(body?.from),
    toDate: text(body?.to),
    timezone: text(body?.timezone),
    filters: boundedFilters(body?.filters),
    reason: text(body?.reason),
  };
}

/**
 * A refusal's audit line, written if it can be: a failure to write it is logged, never thrown,
 * so that the client still gets the refusal itself and not the audit's 500 in its place.
 */
export async function auditRefusal(audit: Pick<AuditLog, 'refused'>, log: Log, member: Member | null, channelId: string, body: RequestBody, err: unknown): Promise<void> {
  try {
    await audit.refused(member, channelId, body, err);
  } catch (auditErr) {
    log('error', 'export refusal not audited', {
      code: err instanceof AppError ? err.code : 'INTERNAL',
      auditError: (auditErr as Error)?.message?.slice(0, 500) ?? String(auditErr).slice(0, 500),
    });
  }
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
      channelId: storable(channelId, 128),
      ...requestFields(body),
      outcome: status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'refused',
      httpStatus: status,
      errorCode: err instanceof AppError ? err.code : 'INTERNAL',
      message: err instanceof AppError ? storable(err.message, 2000) : 'internal error',
      rowCount: err instanceof AppError && typeof err.details.count === 'number' ? err.details.count : null,
    });
  }

  /** The job's outcome, size and checksum, on the line of the request that created it. */
  async finished(
    jobId: string,
    outcome: 'succeeded' | 'failed',
    fields: { rowCount?: number; bytes?: number; sha256?: string; message?: string },
    tx: EntityManager = this.db.manager,
  ) {
    await tx.getRepository(ExportAuditEntity).update({ jobId }, { outcome, ...fields });
  }

  async list(channelId: string, limit = 200): Promise<ExportAudit[]> {
    return this.db.getRepository(ExportAuditEntity).find({ where: { channelId }, order: { id: 'DESC' }, take: limit });
  }
}
