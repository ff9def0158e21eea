import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataSource, EntityManager } from 'typeorm';
import { AppError, Config } from '@casestats/config';
import {
  AuditLog,
  NewExportJob,
  claimJob,
  expireJobs,
  exportDiskUse,
  failJob,
  failJobs,
  failJobsOfWorkers,
  failStaleJobs,
  findJob,
  finishJob,
  heartbeatJobs,
  insertJob,
  jobStatuses,
  lockExportDisk,
  reportProgress,
  requeueJob,
  retryAfterFailure,
  retryDelayMs,
  workersWithOpenJobs,
} from '@casestats/export-jobs';
import { type ExportLanguage, ValidExportRequest, runExport } from '@casestats/export';
import type { ExportJob } from '@casestats/read-model';
import { isDatabaseUnavailable } from './database-errors';
import type { Log } from '@casestats/config';

/** The one log shape of the apps (libs/config's jsonLog writes it). */
export type { Log };

const INTERRUPTED = 'the export was interrupted before it finished (its server stopped); request it again';
/** Why a job ended that could not be written down: the stale-job rule stores this rather than INTERRUPTED. */
const UNRECORDED = 'the export ended, but its outcome could not be recorded (the database was unavailable too long): request it again';
const diskFull = () =>
  new AppError(
    'EXPORT.STORAGE_FULL',
    'the export files kept for download, with those being written, would pass the space set aside for them (EXPORT_MAX_DISK_MB): request the export again when older ones have expired',
  );
const stopping = () => new AppError('INTERNAL', 'the export server is stopping: request the export again');

/** What a job needs beside its row, kept only in this process: the request (with its password) and the file's language. */
export interface AcceptedExport {
  request: ValidExportRequest;
  language: ExportLanguage;
}

/**
 * Runs the jobs this instance accepted. The password exists only in this process's memory, so a
 * job can only run here: SKIP LOCKED claims keep two workers off one job, heartbeats tell other
 * instances which jobs are alive, and a job whose instance died is failed with a reason by whichever
 * instance notices first — never left `running` or `queued` forever.
 */
export class ExportWorker {
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly accepted = new Map<string, AcceptedExport>();
  private readonly active = new Map<string, { controller: AbortController; channelId: string }>();
  /** Jobs let go because their next state could not be written: the stale-job rule ends them with UNRECORDED. */
  private readonly unrecorded = new Set<string>();
  /** When each channel last had a job claimed here: the claim goes round the channels. */
  private readonly lastClaimed = new Map<string, number>();
  private claims = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private kicking = false;

  constructor(
    private readonly db: DataSource,
    private readonly config: Config,
    private readonly audit: AuditLog,
    private readonly log: Log,
  ) {}

  async start(): Promise<void> {
    LIVE_HERE.add(this.instanceId);
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
    for (const { controller } of this.active.values()) controller.abort(new Error('the server is shutting down'));
    while (this.active.size) await new Promise((r) => setTimeout(r, 50));
    const left = [...this.accepted.keys()];
    this.accepted.clear();
    LIVE_HERE.delete(this.instanceId);
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
    fields: NewExportJob,
    accepted: AcceptedExport,
    record: (tx: EntityManager) => Promise<void> = async () => undefined,
  ): Promise<ExportJob> {
    if (this.stopped) throw stopping();
    await this.db.transaction(async (tx) => {
      await insertJob(tx, fields, this.instanceId);
      await record(tx);
    });
    if (this.stopped) {
      // stop() began while the row was being written, and has already failed what it knew of.
      await this.failInterrupted([fields.id]);
      throw stopping();
    }
    this.accepted.set(fields.id, accepted);
    setImmediate(() => void this.kick());
    return findJob(this.db, fields.id);
  }

  /** Fails these jobs, if still queued or running, with the interrupted reason, and audits each. */
  private async failInterrupted(ids: string[]): Promise<void> {
    for (const id of await failJobs(this.db, ids, INTERRUPTED)) await this.audit.finished(id, 'failed', { message: INTERRUPTED });
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
        if (job !== 'refused') void this.run(job);
      }
    } catch (err) {
      this.log('warn', 'export worker could not claim a job', { error: (err as Error).message });
    } finally {
      this.kicking = false;
    }
  }

  /**
   * Round-robin by channel, not first come first served: the oldest job of the channel served
   * longest ago goes first, so that one channel's many requests do not hold another's behind them.
   * A channel at EXPORT_MAX_RUNNING_PER_CHANNEL waits even with workers free: they are kept for the
   * other channels' jobs, which would otherwise wait for one of its long exports to end.
   * 'refused': the job claimed would take the exports past their disk cap, and was failed instead.
   */
  private async claim(): Promise<ExportJob | 'refused' | null> {
    const running = new Map<string, number>();
    for (const { channelId } of this.active.values()) running.set(channelId, (running.get(channelId) ?? 0) + 1);
    const cap = this.config.export.maxRunningPerChannel;
    const mine = [...this.accepted].filter(([id, r]) => !this.active.has(id) && (running.get(r.request.channelId) ?? 0) < cap);
    if (!mine.length) return null;
    // `accepted` keeps the order of arrival; a stable sort keeps it within a channel.
    const order = mine.sort(([, a], [, b]) => (this.lastClaimed.get(a.request.channelId) ?? -1) - (this.lastClaimed.get(b.request.channelId) ?? -1)).map(([id]) => id);
    const claimed = await this.db.transaction(async (tx) => {
      // Under one lock for every instance: two claims at once would each leave out the other's file.
      await lockExportDisk(tx);
      const job = await claimJob(tx, this.instanceId, order);
      if (!job || !(await this.pastDiskCap(tx, job.id))) return job && { ...job, refused: false };
      await failJob(tx, job.id, diskFull().message);
      await this.audit.finished(job.id, 'failed', { message: diskFull().message }, tx);
      return { ...job, refused: true };
    });
    if (!claimed) return null;
    this.lastClaimed.set(claimed.channelId, ++this.claims);
    if (claimed.refused) {
      this.accepted.delete(claimed.id);
      this.log('warn', 'export refused at its start: the disk set aside for exports is full', { jobId: claimed.id, code: diskFull().code });
      return 'refused';
    }
    return findJob(this.db, claimed.id);
  }

  /**
   * The request was let in while the kept files were under the cap, but jobs queued since then,
   * or running beside this one, may have filled it: the cap counts them too.
   */
  private async pastDiskCap(tx: EntityManager, jobId: string): Promise<boolean> {
    const { kept, writing, job } = await exportDiskUse(tx, jobId);
    const cap = this.config.export.maxDiskBytes;
    return kept + writing >= cap || kept + writing + job > cap;
  }

  private async run(job: ExportJob): Promise<void> {
    const accepted = this.accepted.get(job.id);
    const controller = new AbortController();
    this.active.set(job.id, { controller, channelId: job.channelId });
    const outPath = join(this.config.export.fileDir, `${job.id}.xlsx`);
    let lastWrite = 0;
    try {
      let result: Awaited<ReturnType<typeof runExport>>;
      try {
        if (!accepted) throw new AppError('INTERNAL', INTERRUPTED);
        this.log('info', 'export started', { jobId: job.id, channelId: job.channelId, attempt: job.attempts, totalRows: job.totalRows });
        result = await runExport({
          db: this.db,
          request: accepted.request,
          language: accepted.language,
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
            // Ended meanwhile (another instance judged it stale): the work is for nothing.
            if (!(await reportProgress(this.db, job.id, rowsWritten, totalRows))) controller.abort(new Error('the job is no longer running'));
          },
        });
      } catch (err) {
        await this.failOrRetry(job, err);
        return;
      }
      const recorded = await this.persist(job.id, 'the export outcome', (tx) => this.recordSucceeded(tx, job.id, result));
      this.accepted.delete(job.id);
      if (recorded) this.log('info', 'export succeeded', { jobId: job.id, rows: result.caseRows, bytes: result.bytes });
    } finally {
      this.active.delete(job.id);
      setImmediate(() => void this.kick());
    }
  }

  private async recordSucceeded(tx: EntityManager, id: string, result: { caseRows: number; path: string; bytes: number; sha256: string }): Promise<void> {
    await finishJob(tx, id, result, this.config.export.fileTtlMs);
    await this.audit.finished(id, 'succeeded', { rowCount: result.caseRows, bytes: result.bytes, sha256: result.sha256 }, tx);
  }

  /**
   * Writes a job's next state, retried while the database is away (up to EXPORT_OUTCOME_RETRY_MS),
   * so that a blip does not leave the job `running` for good. Given up, or on any other failure,
   * the job leaves this instance (out of `accepted`): its heartbeat stops and the stale-job rule
   * ends it, saying that its outcome could not be recorded. Returns whether the write was made.
   */
  private async persist(id: string, what: string, write: (tx: EntityManager) => Promise<void>): Promise<boolean> {
    const deadline = Date.now() + this.config.export.outcomeRetryMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        await this.db.transaction(write);
        return true;
      } catch (err) {
        const retry = isDatabaseUnavailable(err) && !this.stopped && Date.now() + delay < deadline;
        if (!retry) {
          this.accepted.delete(id);
          this.unrecorded.add(id);
          this.log('error', `could not record ${what}; the stale-job rule will end the job`, { jobId: id, error: (err as Error).message });
          return false;
        }
        if (delay === 100) this.log('warn', `could not record ${what}, retrying while the database is away`, { jobId: id, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async failOrRetry(job: ExportJob, err: unknown): Promise<void> {
    const message = err instanceof AppError ? err.message : `the export failed: ${(err as Error).message}`;
    const retry = retryAfterFailure({ attempts: job.attempts, permanent: err instanceof AppError, abandoned: this.stopped || !this.accepted.has(job.id) });
    this.log(retry ? 'warn' : 'error', retry ? 'export failed, will retry' : 'export failed', { jobId: job.id, attempt: job.attempts, error: message });
    if (retry) {
      await new Promise((r) => setTimeout(r, retryDelayMs(job.attempts)));
      const requeued = await this.persist(job.id, 'the retry', (tx) => requeueJob(tx, job.id));
      if (requeued) setImmediate(() => void this.kick());
      return;
    }
    this.accepted.delete(job.id);
    await this.persist(job.id, 'the export outcome', async (tx) => {
      await failJob(tx, job.id, this.stopped ? INTERRUPTED : message);
      await this.audit.finished(job.id, 'failed', { message }, tx);
    });
  }

  /** Heartbeats for this instance's jobs, then the housekeeping any instance may do. */
  async maintain(): Promise<void> {
    try {
      await this.heartbeat();
      await this.failJobsOfDeadProcesses();
      const mine = [...this.accepted.keys()];
      const reasons = Object.fromEntries([...this.unrecorded].map((id) => [id, UNRECORDED]));
      const stale = await failStaleJobs(this.db, this.config.export.staleJobMs, INTERRUPTED, mine, reasons);
      for (const { id, error } of stale) await this.audit.finished(id, 'failed', { message: error });
      await this.forgetSettled();
      for (const id of await expireJobs(this.db)) await rm(join(this.config.export.fileDir, `${id}.xlsx`), { force: true });
      await this.removeOrphans();
      void this.kick();
    } catch (err) {
      this.log('warn', 'export maintenance failed; will try again', { error: (err as Error).message });
    }
  }

  /**
   * Only for jobs this instance still holds, and only while they are queued or running: a job
   * ended elsewhere (judged stale during an outage) is let go, and its run, if any, aborted.
   */
  private async heartbeat(): Promise<void> {
    const mine = [...this.accepted.keys()];
    if (!mine.length) return;
    const alive = await heartbeatJobs(this.db, mine);
    for (const id of mine) {
      if (alive.has(id) || !this.accepted.has(id)) continue;
      this.accepted.delete(id);
      this.active.get(id)?.controller.abort(new Error('the job is no longer running'));
    }
  }

  /** The unrecorded jobs that have ended meanwhile, here or elsewhere: nothing is left to tell of them. */
  private async forgetSettled(): Promise<void> {
    if (!this.unrecorded.size) return;
    const status = await jobStatuses(this.db, [...this.unrecorded]);
    for (const id of this.unrecorded) if (status.get(id) !== 'queued' && status.get(id) !== 'running') this.unrecorded.delete(id);
  }

  /**
   * Jobs left by a process of this host that is gone (a previous run killed, or stopped while its
   * database was away) are failed at once: their passwords died with it, so nothing can resume
   * them, and waiting for their heartbeat to go stale kept them "running" for a minute or more.
   * Another host's processes cannot be seen from here: the stale-job rule ends theirs.
   */
  private async failJobsOfDeadProcesses(): Promise<void> {
    const dead = (await workersWithOpenJobs(this.db, this.instanceId)).filter((id) => isDeadLocalWorker(id, this.instanceId));
    if (!dead.length) return;
    const failed = await failJobsOfWorkers(this.db, dead, INTERRUPTED);
    for (const id of failed) await this.audit.finished(id, 'failed', { message: INTERRUPTED });
    if (failed.length) this.log('info', 'failed the exports of stopped processes', { jobIds: failed, workers: dead });
  }

  /**
   * Only files whose job this instance's database knows to be over: a failed or expired job's
   * files, a succeeded or queued job's partial. A file of an id the database does not know is left
   * alone: another server sharing the folder with another database may be writing it. A running
   * job's finished file is kept too: the export renames it into place a moment before its job is
   * marked succeeded.
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
    const status = await jobStatuses(this.db, [...ids.keys()]);
    for (const [id, files] of ids) {
      const state = status.get(id);
      if (state === undefined || state === 'running' || this.active.has(id)) continue;
      for (const name of files) {
        const over = state === 'failed' || state === 'expired' || name.endsWith('.partial');
        if (over) await rm(join(dir, name), { force: true });
      }
    }
  }
}

/**
 * The workers started in this process and not stopped. Two may run side by side (two export
 * servers in one process, as the page tests do): one must not take the other's jobs for dead.
 */
const LIVE_HERE = new Set<string>();

/** `host-pid-xxxxxx` of this host whose process is gone, which reused our pid (a restarted container), or of this process and stopped. */
export function isDeadLocalWorker(workerId: string, self: string): boolean {
  const m = /^(.*)-(\d+)-([0-9a-f]{6})$/.exec(workerId);
  const me = /^(.*)-(\d+)-([0-9a-f]{6})$/.exec(self);
  if (!m || !me || m[1] !== me[1] || workerId === self) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return !LIVE_HERE.has(workerId);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: alive, another user's process.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
