import type { EntityManager } from 'typeorm';
import { ExportJob, ExportJobEntity } from '@casestats/read-model';
import { ExportJobEvent, allowedFrom } from './export-job.decide';

/** The application's DataSource, or the EntityManager of a transaction: both answer these. */
export type JobDb = Pick<EntityManager, 'query' | 'getRepository'>;

/** Each transition's `status IN (…)`, from the decider, so a refused transition updates no row. */
const FROM = Object.fromEntries(
  (['claim', 'heartbeat', 'progress', 'finish', 'retry', 'fail', 'stale', 'expire'] as const).map((e) => [e, `(${allowedFrom(e).map((st) => `'${st}'`).join(', ')})`]),
) as Record<ExportJobEvent, string>;

/** TypeORM answers an UPDATE … RETURNING with [rows, affected]; a SELECT with rows. */
function returned<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

/**
 * The fields a request sets; the rest are the job's progress, written by the transitions below.
 * `createdAt` is the database's now() unless given (the file's name carries it).
 */
export type NewExportJob = Omit<ExportJob, 'rowsWritten' | 'error' | 'filePath' | 'bytes' | 'sha256' | 'attempts' | 'workerId' | 'heartbeatAt' | 'createdAt' | 'startedAt' | 'finishedAt' | 'expiresAt'> &
  Partial<Pick<ExportJob, 'createdAt'>>;

/** A queued job owned by `workerId`, alive as of now. */
export async function insertJob(tx: JobDb, fields: NewExportJob, workerId: string): Promise<void> {
  await tx.getRepository(ExportJobEntity).insert({ ...fields, workerId, heartbeatAt: () => 'now()' } as never);
}

export function findJob(db: JobDb, id: string): Promise<ExportJob> {
  return db.getRepository(ExportJobEntity).findOneByOrFail({ id });
}

/** Scoped by channel and member in the query itself: another channel's or member's id finds nothing. */
export function findMemberJob(db: JobDb, channelId: string, memberId: string, id: string): Promise<ExportJob | null> {
  return db.getRepository(ExportJobEntity).findOneBy({ id, channelId, memberId });
}

/** A member's latest 50 jobs in a channel, newest first. */
export function listMemberJobs(db: JobDb, channelId: string, memberId: string): Promise<ExportJob[]> {
  return db.getRepository(ExportJobEntity).find({ where: { channelId, memberId }, order: { createdAt: 'DESC' }, take: 50 });
}

/**
 * Claims the first of `order` (job ids) still queued for `workerId`: running, its attempt counted.
 * SKIP LOCKED keeps two claims off one job. Null when none is left.
 */
export async function claimJob(db: JobDb, workerId: string, order: string[]): Promise<{ id: string; channelId: string } | null> {
  const rows = returned<{ id: string; channel_id: string }>(await db.query(
    `UPDATE export_jobs SET status = 'running', heartbeat_at = now(), started_at = coalesce(started_at, now()), attempts = attempts + 1
      WHERE id = (SELECT id FROM export_jobs WHERE status IN ${FROM.claim} AND worker_id = $1 AND id = ANY($2::uuid[])
                   ORDER BY array_position($2::uuid[], id) FOR UPDATE SKIP LOCKED LIMIT 1)
      RETURNING id, channel_id`,
    [workerId, order],
  ));
  return rows[0] ? { id: rows[0].id, channelId: rows[0].channel_id } : null;
}

/** Rows written so far, and a heartbeat; false when the job is no longer running. */
export async function reportProgress(db: JobDb, id: string, rowsWritten: number, totalRows: number): Promise<boolean> {
  const [, touched] = await db.query(
    `UPDATE export_jobs SET rows_written = $2, total_rows = $3, heartbeat_at = now() WHERE id = $1 AND status IN ${FROM.progress}`,
    [id, rowsWritten, totalRows],
  );
  return touched !== 0;
}

/** The file is complete: the job succeeds and its file is kept for `fileTtlMs`. */
export async function finishJob(tx: JobDb, id: string, result: { caseRows: number; path: string; bytes: number; sha256: string }, fileTtlMs: number): Promise<void> {
  await tx.query(
    `UPDATE export_jobs SET status = 'succeeded', rows_written = $2, total_rows = $2, file_path = $3, bytes = $4, sha256 = $5,
            finished_at = now(), heartbeat_at = now(), expires_at = now() + ($6::text || ' milliseconds')::interval, error = NULL
      WHERE id = $1 AND status IN ${FROM.finish}`,
    [id, result.caseRows, result.path, result.bytes, result.sha256, String(fileTtlMs)],
  );
}

/** A failed run goes back to the queue. */
export async function requeueJob(tx: JobDb, id: string): Promise<void> {
  await tx.query(`UPDATE export_jobs SET status = 'queued', rows_written = 0, heartbeat_at = now() WHERE id = $1 AND status IN ${FROM.retry}`, [id]);
}

export async function failJob(tx: JobDb, id: string, error: string): Promise<void> {
  await tx.query(`UPDATE export_jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status IN ${FROM.fail}`, [id, error]);
}

/** Fails these jobs, if still queued or running; returns those it failed. */
export async function failJobs(db: JobDb, jobIds: string[], error: string): Promise<string[]> {
  return ids(returned<{ id: string }>(await db.query(
    `UPDATE export_jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = ANY($1::uuid[]) AND status IN ${FROM.fail} RETURNING id`,
    [jobIds, error],
  )));
}

/** Heartbeats for these jobs while they are queued or running; returns those it reached. */
export async function heartbeatJobs(db: JobDb, jobIds: string[]): Promise<Set<string>> {
  return new Set(ids(returned<{ id: string }>(await db.query(
    `UPDATE export_jobs SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND status IN ${FROM.heartbeat} RETURNING id`,
    [jobIds],
  ))));
}

/**
 * Fails the jobs without a heartbeat for `staleMs`, other than `keep`; returns those it failed and
 * why. `reasons` gives the error of the jobs whose end is known here (an outcome that could not be
 * recorded), in place of `error`, the reason of a job whose instance is simply gone.
 */
export async function failStaleJobs(
  db: JobDb,
  staleMs: number,
  error: string,
  keep: string[],
  reasons: Record<string, string> = {},
): Promise<{ id: string; error: string }[]> {
  return returned<{ id: string; error: string }>(await db.query(
    `UPDATE export_jobs SET status = 'failed', error = coalesce($4::jsonb ->> id::text, $2), finished_at = now()
      WHERE status IN ${FROM.stale} AND heartbeat_at < now() - ($1::text || ' milliseconds')::interval
        AND NOT (id = ANY($3::uuid[]))
      RETURNING id, error`,
    [String(staleMs), error, keep, JSON.stringify(reasons)],
  ));
}

/** Expires the succeeded jobs whose file's time is up; returns them (their files are to be removed). */
export async function expireJobs(db: JobDb): Promise<string[]> {
  return ids(returned<{ id: string }>(await db.query(
    `UPDATE export_jobs SET status = 'expired', file_path = NULL WHERE status IN ${FROM.expire} AND expires_at <= now() RETURNING id`,
  )));
}

/** The workers other than `self` that own queued or running jobs. */
export async function workersWithOpenJobs(db: JobDb, self: string): Promise<string[]> {
  const workers: { worker_id: string }[] = await db.query(
    `SELECT DISTINCT worker_id FROM export_jobs WHERE status IN ('queued', 'running') AND worker_id IS NOT NULL AND worker_id <> $1`,
    [self],
  );
  return workers.map((w) => w.worker_id);
}

/** Fails the open jobs of these workers; returns those it failed. */
export async function failJobsOfWorkers(db: JobDb, workerIds: string[], error: string): Promise<string[]> {
  return ids(returned<{ id: string }>(await db.query(
    `UPDATE export_jobs SET status = 'failed', error = $2, finished_at = now() WHERE worker_id = ANY($1::text[]) AND status IN ${FROM.stale} RETURNING id`,
    [workerIds, error],
  )));
}

/** The status of each of these jobs the database knows. */
export async function jobStatuses(db: JobDb, jobIds: string[]): Promise<Map<string, string>> {
  const rows: { id: string; status: string }[] = await db.query(`SELECT id, status FROM export_jobs WHERE id = ANY($1::uuid[])`, [jobIds]);
  return new Map(rows.map((r) => [r.id, r.status]));
}

/**
 * The channel's and the member's queued or running jobs, counted under a lock per channel held to
 * the end of `tx`, so that concurrent requests cannot all pass the quota.
 */
export async function lockAndCountOpenJobs(tx: JobDb, channelId: string, memberId: string): Promise<{ channel: number; member: number }> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('casestats.export_jobs'), hashtext($1))`, [channelId]);
  const [counts] = await tx.query(
    `SELECT count(*)::int AS channel, count(*) FILTER (WHERE member_id = $2)::int AS member
       FROM export_jobs WHERE channel_id = $1 AND status IN ('queued', 'running')`,
    [channelId, memberId],
  );
  return counts;
}

/** The bytes of the files kept for download. */
export async function keptFileBytes(db: JobDb): Promise<number> {
  const [{ bytes }] = await db.query(`SELECT coalesce(sum(bytes), 0)::bigint AS bytes FROM export_jobs WHERE status = 'succeeded'`);
  return Number(bytes);
}

/** Serialises the claims of all instances while each weighs the disk its job would take. */
export async function lockExportDisk(tx: JobDb): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('casestats.export_disk'))`);
}

/** Bytes per row of an export file until one has been made to learn from: the test fixtures' files take 39 (bench/export-load.bench.ts), so on the generous side. */
const FALLBACK_BYTES_PER_ROW = 64;

/**
 * The disk the export files take or are about to: `kept`, the finished files; `writing`, the files
 * of the other running jobs, not in `bytes` until they end, so estimated from their rows at the
 * bytes per row of the files made so far; `job`, the same estimate for the job `jobId`.
 */
export async function exportDiskUse(db: JobDb, jobId: string): Promise<{ kept: number; writing: number; job: number }> {
  const [use] = await db.query(
    `WITH rate AS (
       SELECT coalesce(sum(bytes)::float8 / nullif(sum(rows_written), 0), $2::float8) AS per_row
         FROM export_jobs WHERE status IN ('succeeded', 'expired') AND bytes IS NOT NULL AND rows_written > 0
     )
     SELECT coalesce(sum(bytes) FILTER (WHERE status = 'succeeded'), 0)::float8 AS kept,
            coalesce(sum(total_rows) FILTER (WHERE status = 'running' AND id <> $1), 0) * (SELECT per_row FROM rate) AS writing,
            coalesce(max(total_rows) FILTER (WHERE id = $1), 0) * (SELECT per_row FROM rate) AS job
       FROM export_jobs`,
    [jobId, FALLBACK_BYTES_PER_ROW],
  );
  return { kept: Number(use.kept), writing: Math.ceil(Number(use.writing)), job: Math.ceil(Number(use.job)) };
}
