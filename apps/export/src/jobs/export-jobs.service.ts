import { randomUUID } from 'node:crypto';
import { FileHandle, open } from 'node:fs/promises';
import type { DataSource, EntityManager } from 'typeorm';
import { AppError, Config, type Log } from '@casestats/config';
import { AuditLog, auditRefusal, download, findMemberJob, keptFileBytes, listMemberJobs, lockAndCountOpenJobs } from '@casestats/export-jobs';
import { DEFAULT_EXPORT_LANGUAGE, type ExportLanguage, assertWithinRowCap, exportFileName, validateExportRequest } from '@casestats/export';
import { ExportJob, activeSchema, countCases } from '@casestats/read-model';
import { Member } from '../auth/member-token';
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
    private readonly log: Log,
  ) {}

  /** Validates, counts and accepts at once; the work runs in the background. Refusals are audited and thrown. */
  async request(member: Member, channelId: string, body: unknown, language: ExportLanguage = DEFAULT_EXPORT_LANGUAGE) {
    const audited = (body && typeof body === 'object' ? body : undefined) as Record<string, unknown> | undefined;
    try {
      const request = validateExportRequest(channelId, body, this.config.export);
      await this.assertDiskLeft();
      const totalRows = await countCases(this.db, await activeSchema(this.db), request.selection);
      assertWithinRowCap(totalRows, this.config.export.maxRows);
      const id = randomUUID();
      // The file's name carries the job's creation time: one instant for both.
      const createdAt = new Date();
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
          createdAt,
          fileName: exportFileName(channelId, request.from, request.to, createdAt, request.timezone),
        },
        { request, language },
        async (tx) => {
          await this.assertJobQuota(tx, channelId, member.id);
          await this.audit.accepted(member, channelId, audited, id, totalRows, tx);
        },
      );
      return { id: job.id, status: job.status, totalRows };
    } catch (err) {
      await auditRefusal(this.audit, this.log, member, channelId, audited, err);
      throw err;
    }
  }

  /**
   * Counted in the job row's transaction (its own row included), under a lock per channel, so that
   * concurrent requests cannot all pass: 100 at once from one member were all accepted, and another
   * channel's export then waited behind them.
   */
  private async assertJobQuota(tx: EntityManager, channelId: string, memberId: string): Promise<void> {
    const counts = await lockAndCountOpenJobs(tx, channelId, memberId);
    const { maxJobsPerChannel, maxJobsPerMember } = this.config.export;
    if (counts.member > maxJobsPerMember) {
      throw new AppError('EXPORT.TOO_MANY_JOBS', `you have ${maxJobsPerMember} exports queued or running, the most one member may have: wait for one to finish`, [], { limit: maxJobsPerMember });
    }
    if (counts.channel > maxJobsPerChannel) {
      throw new AppError('EXPORT.TOO_MANY_JOBS', `this channel has ${maxJobsPerChannel} exports queued or running, the most it may have: try again when one has finished`, [], { limit: maxJobsPerChannel });
    }
  }

  /** The kept files may take EXPORT_MAX_DISK_MB; while they do, no new file is started. */
  private async assertDiskLeft(): Promise<void> {
    if ((await keptFileBytes(this.db)) >= this.config.export.maxDiskBytes) {
      throw new AppError('EXPORT.STORAGE_FULL', 'the export files kept for download fill the space set aside for them: try again when older ones have expired');
    }
  }

  /** The member's own exports: an export is one person's download of customer data. */
  async list(channelId: string, memberId: string) {
    const jobs = await listMemberJobs(this.db, channelId, memberId);
    return jobs.map((j) => jobView(j, channelId));
  }

  /** Scoped by channel and member in the query itself: another channel's or member's id finds nothing. */
  async get(channelId: string, memberId: string, id: string): Promise<ExportJob> {
    const job = UUID.test(id) ? await findMemberJob(this.db, channelId, memberId, id) : null;
    if (!job) throw new AppError('EXPORT.NOT_FOUND', `no export ${id} of yours in channel ${channelId}`);
    return job;
  }

  /**
   * The file, already open: the answer is decided before anything is sent, so that a file removed
   * meanwhile gets a 410 and not a connection cut after its 200. Once open it reads whole even if
   * housekeeping removes it. A file past its time is expired now, not at the next housekeeping pass.
   * The caller closes `handle`.
   */
  async file(channelId: string, memberId: string, id: string): Promise<{ handle: FileHandle; fileName: string; bytes: number }> {
    const job = await this.get(channelId, memberId, id);
    const expired = new AppError('EXPORT.EXPIRED', 'the file has expired: request the export again');
    const answer = download({ status: job.status, expiresAtMs: job.expiresAt ? job.expiresAt.getTime() : null, hasFile: !!job.filePath }, Date.now());
    if (answer === 'expired') throw expired;
    if (answer === 'not-ready' || !job.filePath) {
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
