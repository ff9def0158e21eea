import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataSource, EntityManager } from 'typeorm';
import { AppError, Config } from '@casestats/config';
import { ValidExportRequest, runExport } from '@casestats/export';
import { ExportJob, ExportJobEntity } from '@casestats/read-model';
import { AuditLog } from './audit-log';
import type { Log } from '@casestats/config';

/** The one log shape of the apps (libs/config's jsonLog writes it). */
export type { Log };

const MAX_ATTEMPTS = 3;

/** TypeORM answers an UPDATE … RETURNING with [rows, affected]; a SELECT with rows. */
function returned<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}
const INTERRUPTED = 'the export was interrupted before it finished (its server stopped); request it again';
const stopping = () => new AppError('INTERNAL', 'the export server is stopping: request the export again');

/**
 * Runs the jobs this instance accepted. The password exists only in this process's memory, so a
 * job can only run here: SKIP LOCKED claims keep two workers off one job, heartbeats tell other
 * instances which jobs are alive, and a job whose instance died is failed with a reason by whichever
 * instance notices first — never left `running` or `queued` forever.
 */
export class ExportWorker {
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly accepted = new Map<string, ValidExportRequest>();
  private readonly active = new Map<string, AbortController>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private kicking = false;

  constructor(
    private readonly db: DataSource,
    private readonly config: Config,
    private readonly audit: AuditLog,
    private readonly log: Log,
  ) {}

  private get repo() {
    return this.db.getRepository(ExportJobEntity);
  }

  async start(): Promise<void> {
    await mkdir(this.config.export.fileDir, { recursive: true, mode: 0o700 });
    this.timer = setInterval(() => void this.maintain(), this.config.export.maintenanceIntervalMs);
    await this.maintain();
  }

  /**
   * Ends this instance's jobs as a failure would: the running ones are aborted (the export removes
   * its partial file) and failed with a reason. Queued ones, a retry's included, are failed too:
   * their passwords die with this process, so nothing else could ever run them.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const controller of this.active.values()) controller.abort(new Error('the server is shutting down'));
    while (this.active.size) await new Promise((r) => setTimeout(r, 50));
    const left = [...this.accepted.keys()];
    this.accepted.clear();
    if (!left.length) return;
    try {
      await this.failInterrupted(left);
    } catch (err) {
      // The heartbeat has stopped with this instance: the stale-job rule settles these jobs later.
      this.log('error', 'could not record the interrupted exports', { jobIds: left, error: (err as Error).message });
    }
  }

  /**
   * `record` runs in the job row's transaction, so that what it writes (the audit line) exists
   * before the job can be claimed: a job that ended first found no line to put its outcome on.
   */
  async enqueue(
    fields: Omit<ExportJob, 'rowsWritten' | 'error' | 'filePath' | 'bytes' | 'sha256' | 'attempts' | 'workerId' | 'heartbeatAt' | 'createdAt' | 'startedAt' | 'finishedAt' | 'expiresAt'>,
    request: ValidExportRequest,
    record: (tx: EntityManager) => Promise<void> = async () => undefined,
  ): Promise<ExportJob> {
    if (this.stopped) throw stopping();
    await this.db.transaction(async (tx) => {
      await tx.getRepository(ExportJobEntity).insert({ ...fields, workerId: this.instanceId, heartbeatAt: () => 'now()' } as never);
      await record(tx);
    });
    if (this.stopped) {
      // stop() began while the row was being written, and has already failed what it knew of.
      await this.failInterrupted([fields.id]);
      throw stopping();
    }
    this.accepted.set(fields.id, request);
    setImmediate(() => void this.kick());
    return this.repo.findOneByOrFail({ id: fields.id });
  }

  /** Fails these jobs, if still queued or running, with the interrupted reason, and audits each. */
  private async failInterrupted(ids: string[]): Promise<void> {
    const failed = returned<{ id: string }>(await this.db.query(
      `UPDATE export_jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'running') RETURNING id`,
      [ids, INTERRUPTED],
    ));
    for (const { id } of failed) await this.audit.finished(id, 'failed', { message: INTERRUPTED });
  }

  /** Fills the free worker slots with this instance's queued jobs. */
  async kick(): Promise<void> {
    if (this.kicking || this.stopped) return;
    this.kicking = true;
    try {
      while (!this.stopped && this.active.size < this.config.export.workerConcurrency) {
        const job = await this.claim();
        // Stopped meanwhile: stop() fails the claimed job (it is still among the accepted ones).
        if (!job || this.stopped) break;
        void this.run(job);
      }
    } catch (err) {
      this.log('warn', 'export worker could not claim a job', { error: (err as Error).message });
    } finally {
      this.kicking = false;
    }
  }

  private async claim(): Promise<ExportJob | null> {
    const mine = [...this.accepted.keys()].filter((id) => !this.active.has(id));
    if (!mine.length) return null;
    const rows = returned<{ id: string }>(await this.db.query(
      `UPDATE export_jobs SET status = 'running', heartbeat_at = now(), started_at = coalesce(started_at, now()), attempts = attempts + 1
        WHERE id = (SELECT id FROM export_jobs WHERE status = 'queued' AND worker_id = $1 AND id = ANY($2::uuid[])
                     ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)
        RETURNING id`,
      [this.instanceId, mine],
    ));
    const id = rows[0]?.id;
    return id ? this.repo.findOneByOrFail({ id }) : null;
  }

  private async run(job: ExportJob): Promise<void> {
    const request = this.accepted.get(job.id);
    const controller = new AbortController();
    this.active.set(job.id, controller);
    const outPath = join(this.config.export.fileDir, `${job.id}.xlsx`);
    let lastWrite = 0;
    try {
      if (!request) throw new AppError('INTERNAL', INTERRUPTED);
      this.log('info', 'export started', { jobId: job.id, channelId: job.channelId, attempt: job.attempts, totalRows: job.totalRows });
      const result = await runExport({
        db: this.db,
        request,
        outPath,
        maxRows: this.config.export.maxRows,
        caseUrlTemplate: this.config.export.caseUrlTemplate,
        exportedBy: { id: job.memberId, name: job.memberName },
        asOf: new Date(),
        signal: controller.signal,
        onProgress: async (rowsWritten, totalRows) => {
          const now = Date.now();
          if (now - lastWrite < 500 && rowsWritten < totalRows) return;
          lastWrite = now;
          await this.repo.update({ id: job.id }, { rowsWritten, totalRows, heartbeatAt: () => 'now()' } as never);
        },
      });
      await this.db.query(
        `UPDATE export_jobs SET status = 'succeeded', rows_written = $2, total_rows = $2, file_path = $3, bytes = $4, sha256 = $5,
                finished_at = now(), heartbeat_at = now(), expires_at = now() + ($6::text || ' milliseconds')::interval, error = NULL
          WHERE id = $1`,
        [job.id, result.caseRows, result.path, result.bytes, result.sha256, String(this.config.export.fileTtlMs)],
      );
      await this.audit.finished(job.id, 'succeeded', { rowCount: result.caseRows, bytes: result.bytes, sha256: result.sha256 });
      this.accepted.delete(job.id);
      this.log('info', 'export succeeded', { jobId: job.id, rows: result.caseRows, bytes: result.bytes });
    } catch (err) {
      await this.failOrRetry(job, err);
    } finally {
      this.active.delete(job.id);
      setImmediate(() => void this.kick());
    }
  }

  private async failOrRetry(job: ExportJob, err: unknown): Promise<void> {
    const message = err instanceof AppError ? err.message : `the export failed: ${(err as Error).message}`;
    const retry = !this.stopped && !(err instanceof AppError) && job.attempts < MAX_ATTEMPTS && this.accepted.has(job.id);
    this.log(retry ? 'warn' : 'error', retry ? 'export failed, will retry' : 'export failed', { jobId: job.id, attempt: job.attempts, error: message });
    try {
      if (retry) {
        await new Promise((r) => setTimeout(r, 1000 * 2 ** (job.attempts - 1)));
        await this.db.query(`UPDATE export_jobs SET status = 'queued', rows_written = 0, heartbeat_at = now() WHERE id = $1 AND status = 'running'`, [job.id]);
        return;
      }
      this.accepted.delete(job.id);
      await this.db.query(
        `UPDATE export_jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')`,
        [job.id, this.stopped ? INTERRUPTED : message],
      );
      await this.audit.finished(job.id, 'failed', { message });
    } catch (dbErr) {
      // The database is unreachable: the heartbeat stops, and the stale-job rule settles this job later.
      this.log('error', 'could not record the export outcome', { jobId: job.id, error: (dbErr as Error).message });
    }
  }

  /** Heartbeats for this instance's jobs, then the housekeeping any instance may do. */
  async maintain(): Promise<void> {
    try {
      const mine = [...this.accepted.keys()];
      if (mine.length) {
        await this.db.query(`UPDATE export_jobs SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'running')`, [mine]);
      }
      const stale = returned<{ id: string }>(await this.db.query(
        `UPDATE export_jobs SET status = 'failed', error = $2, finished_at = now()
          WHERE status IN ('queued', 'running') AND heartbeat_at < now() - ($1::text || ' milliseconds')::interval
            AND NOT (id = ANY($3::uuid[]))
          RETURNING id`,
        [String(this.config.export.staleJobMs), INTERRUPTED, mine],
      ));
      for (const { id } of stale) await this.audit.finished(id, 'failed', { message: INTERRUPTED });
      const expired = returned<{ id: string }>(await this.db.query(
        `UPDATE export_jobs SET status = 'expired', file_path = NULL WHERE status = 'succeeded' AND expires_at <= now() RETURNING id`,
      ));
      for (const job of expired) await rm(join(this.config.export.fileDir, `${job.id}.xlsx`), { force: true });
      await this.removeOrphans();
      void this.kick();
    } catch (err) {
      this.log('warn', 'export maintenance failed; will try again', { error: (err as Error).message });
    }
  }

  /**
   * Partial files of jobs no longer running, and files whose job is gone, never outlive their job.
   * A running job's finished file is kept too: the export renames it into place a moment before
   * its job is marked succeeded, and removing it then lost a succeeded job's file.
   */
  private async removeOrphans(): Promise<void> {
    const dir = this.config.export.fileDir;
    const names = await readdir(dir).catch(() => [] as string[]);
    const ids = new Map<string, string[]>();
    for (const name of names) {
      const id = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.xlsx/.exec(name)?.[1];
      if (id) ids.set(id, [...(ids.get(id) ?? []), name]);
    }
    if (!ids.size) return;
    const rows: { id: string; status: string }[] = await this.db.query(`SELECT id, status FROM export_jobs WHERE id = ANY($1::uuid[])`, [[...ids.keys()]]);
    const status = new Map(rows.map((r) => [r.id, r.status]));
    for (const [id, files] of ids) {
      for (const name of files) {
        const running = status.get(id) === 'running' || this.active.has(id);
        const keep = running || (status.get(id) === 'succeeded' && !name.endsWith('.partial'));
        if (!keep) await rm(join(dir, name), { force: true });
      }
    }
  }
}
