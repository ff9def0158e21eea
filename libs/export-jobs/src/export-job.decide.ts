/**
 * An export job's life as a pure decider: given the job's status and what happened, the status it
 * moves to, or a refusal. The worker runs each transition as one conditional UPDATE whose
 * `status IN (…)` comes from `allowedFrom`, so concurrent instances cannot apply a refused one.
 */
export type ExportJobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'expired';

export type ExportJobEvent =
  | 'claim' // a worker starts the job
  | 'heartbeat' // the owning instance is alive; also each progress report
  | 'progress' // rows written, only while running
  | 'finish' // the file is complete
  | 'retry' // a run failed and the job goes back to the queue
  | 'fail' // a run failed for good, or its instance stopped
  | 'stale' // no heartbeat for too long, or its owner process is gone
  | 'expire'; // the file's time is up

const RULES: Record<ExportJobEvent, { from: readonly ExportJobStatus[]; to: ExportJobStatus }> = {
  claim: { from: ['queued'], to: 'running' },
  heartbeat: { from: ['queued', 'running'], to: 'running' },
  progress: { from: ['running'], to: 'running' },
  finish: { from: ['running'], to: 'succeeded' },
  retry: { from: ['running'], to: 'queued' },
  fail: { from: ['queued', 'running'], to: 'failed' },
  stale: { from: ['queued', 'running'], to: 'failed' },
  expire: { from: ['succeeded'], to: 'expired' },
};

export type Decision = { ok: true; status: ExportJobStatus } | { ok: false; reason: string };

export function decide(status: ExportJobStatus, event: ExportJobEvent): Decision {
  const rule = RULES[event];
  if (!rule.from.includes(status)) return { ok: false, reason: `a ${status} job cannot ${event}` };
  // A heartbeat keeps a queued job queued: it only says its owner is alive.
  return { ok: true, status: event === 'heartbeat' ? status : rule.to };
}

/** The statuses an event applies to: the worker's `WHERE status IN (…)`. */
export function allowedFrom(event: ExportJobEvent): readonly ExportJobStatus[] {
  return RULES[event].from;
}

/** The statuses whose job still holds a place in its instance's queue (not ended). */
export const OPEN_STATUSES: readonly ExportJobStatus[] = ['queued', 'running'];

export const MAX_ATTEMPTS = 3;

export interface FailedRun {
  attempts: number;
  /** A refusal the user must act on (an AppError): running again gives the same answer. */
  permanent: boolean;
  /** The instance is shutting down, or the job was let go: no one here would run the retry. */
  abandoned: boolean;
}

/** A failed run goes back to the queue while attempts remain and a retry could succeed. */
export function retryAfterFailure(run: FailedRun): boolean {
  return !run.abandoned && !run.permanent && run.attempts < MAX_ATTEMPTS;
}

/** Backoff before the next attempt: 1 s, 2 s, 4 s … */
export function retryDelayMs(attempts: number): number {
  return 1000 * 2 ** (attempts - 1);
}

export type Download = 'ready' | 'expired' | 'not-ready';

/** Whether a job's file may be served now; a file past its time is expired before housekeeping runs. */
export function download(job: { status: ExportJobStatus; expiresAtMs: number | null; hasFile: boolean }, nowMs: number): Download {
  if (job.status === 'expired' || (job.status === 'succeeded' && job.expiresAtMs !== null && job.expiresAtMs <= nowMs)) return 'expired';
  if (job.status !== 'succeeded' || !job.hasFile) return 'not-ready';
  return 'ready';
}
