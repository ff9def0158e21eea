import { randomUUID } from 'node:crypto';
import { FileHandle, open } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import { AppError, Config } from '@casestats/config';
import { assertWithinRowCap, exportFileName, validateExportRequest } from '@casestats/export';
import { ExportJob, ExportJobEntity, activeSchema, countCases } from '@casestats/read-model';
import { Member } from '../auth/member-token';
import { AuditLog } from './audit-log';
import { ExportWorker } from './export-worker';

/** Job ids are UUIDs; anything else would fail PostgreSQL's uuid cast, so it is unknown without asking. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the API shows of a job: never the file path, never anything secret. */
export function jobView(job: ExportJob, channelId: string) {
  return {
    id: job.id,
    status: job.status,
    rowsWritten: job.rowsWritten,
    totalRows: job.totalRows,
    ...(job.error && { error: job.error }),
    fileName: job.fileName,
    from: job.fromDate,
    to: job.toDate,
    timezone: job.timezone,
    filters: job.filters,
    reason: job.reason,
    requestedBy: { id: job.memberId, name: job.memberName },
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    expiresAt: job.expiresAt,
    bytes: job.bytes,
    sha256: job.sha256,
    downloadUrl: job.status === 'succeeded' ? `/api/channels/${encodeURIComponent(channelId)}/case-exports/${job.id}/file` : null,
  };
}

export class ExportJobsService {
  constructor(
    private readonly db: DataSource,
    private readonly config: Config,
    private readonly audit: AuditLog,
    private readonly worker: ExportWorker,
  ) {}

  /** Validates, counts and accepts at once; the work runs in the background. Refusals are audited and thrown. */
  async request(member: Member, channelId: string, body: unknown) {
    const audited = (body && typeof body === 'object' ? body : undefined) as Record<string, unknown> | undefined;
    try {
      const request = validateExportRequest(channelId, body, this.config.export);
      const totalRows = await countCases(this.db, await activeSchema(this.db), request.selection);
      assertWithinRowCap(totalRows, this.config.export.maxRows);
      const id = randomUUID();
      const job = await this.worker.enqueue(
        {
          id,
          channelId,
          memberId: member.id,
          memberName: member.name,
          fromDate: request.from,
          toDate: request.to,
          timezone: request.timezone,
          filters: request.filters as Record<string, string[]>,
          reason: request.reason,
          status: 'queued',
          totalRows,
          fileName: exportFileName(channelId, request.from, request.to),
        },
        request,
        (tx) => this.audit.accepted(member, channelId, audited, id, totalRows, tx),
      );
      return { id: job.id, status: job.status, totalRows };
    } catch (err) {
      await this.audit.refused(member, channelId, audited, err);
      throw err;
    }
  }

  async list(channelId: string) {
    const jobs = await this.db.getRepository(ExportJobEntity).find({ where: { channelId }, order: { createdAt: 'DESC' }, take: 50 });
    return jobs.map((j) => jobView(j, channelId));
  }

  /** Scoped by channel in the query itself: another channel's id finds nothing. */
  async get(channelId: string, id: string): Promise<ExportJob> {
    const job = UUID.test(id) ? await this.db.getRepository(ExportJobEntity).findOneBy({ id, channelId }) : null;
    if (!job) throw new AppError('EXPORT.NOT_FOUND', `no export ${id} in channel ${channelId}`);
    return job;
  }

  /**
   * The file, already open: the answer is decided before anything is sent, so that a file removed
   * meanwhile gets a 410 and not a connection cut after its 200. Once open it reads whole even if
   * housekeeping removes it. A file past its time is expired now, not at the next housekeeping pass.
   * The caller closes `handle`.
   */
  async file(channelId: string, id: string): Promise<{ handle: FileHandle; fileName: string; bytes: number }> {
    const job = await this.get(channelId, id);
    const expired = new AppError('EXPORT.EXPIRED', 'the file has expired: request the export again');
    if (job.status === 'expired' || (job.status === 'succeeded' && job.expiresAt && job.expiresAt.getTime() <= Date.now())) throw expired;
    if (job.status !== 'succeeded' || !job.filePath) {
      throw new AppError('EXPORT.NOT_READY', `the export is ${job.status}${job.error ? `: ${job.error}` : ''}`);
    }
    let handle: FileHandle;
    try {
      handle = await open(job.filePath, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw expired;
      throw err;
    }
    try {
      return { handle, fileName: job.fileName, bytes: (await handle.stat()).size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }
}
