import { describe, expect, it } from 'vitest';
import { ExportJobEvent, ExportJobStatus, decide, download, retryAfterFailure, retryDelayMs } from './export-job.decide';

const STATUSES: ExportJobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'expired'];

describe('an export job: given its status and an event, the next status or a refusal', () => {
  const cases: [ExportJobStatus, ExportJobEvent, ExportJobStatus | null][] = [
    ['queued', 'claim', 'running'],
    ['running', 'claim', null],
    ['queued', 'heartbeat', 'queued'],
    ['running', 'heartbeat', 'running'],
    ['running', 'progress', 'running'],
    ['queued', 'progress', null],
    ['running', 'finish', 'succeeded'],
    ['failed', 'finish', null],
    ['running', 'retry', 'queued'],
    ['queued', 'fail', 'failed'],
    ['running', 'stale', 'failed'],
    ['succeeded', 'expire', 'expired'],
    ['running', 'expire', null],
  ];
  it.each(cases)('%s + %s → %s', (status, event, next) => {
    const d = decide(status, event);
    expect(d.ok ? d.status : null).toBe(next);
  });

  it('ended jobs (failed, expired) refuse every event', () => {
    const events: ExportJobEvent[] = ['claim', 'heartbeat', 'progress', 'finish', 'retry', 'fail', 'stale', 'expire'];
    for (const status of STATUSES.filter((s) => s === 'failed' || s === 'expired')) {
      for (const event of events) expect(decide(status, event).ok).toBe(false);
    }
  });
});

describe('retries and downloads', () => {
  it('retries a passing failure up to the third attempt, never a refusal or an abandoned job', () => {
    expect(retryAfterFailure({ attempts: 1, permanent: false, abandoned: false })).toBe(true);
    expect(retryAfterFailure({ attempts: 3, permanent: false, abandoned: false })).toBe(false);
    expect(retryAfterFailure({ attempts: 1, permanent: true, abandoned: false })).toBe(false);
    expect(retryAfterFailure({ attempts: 1, permanent: false, abandoned: true })).toBe(false);
    expect([1, 2, 3].map(retryDelayMs)).toEqual([1000, 2000, 4000]);
  });

  it('serves a succeeded file until its time, then calls it expired', () => {
    const job = { status: 'succeeded' as const, expiresAtMs: 1000, hasFile: true };
    expect(download(job, 999)).toBe('ready');
    expect(download(job, 1000)).toBe('expired');
    expect(download({ ...job, status: 'running' }, 0)).toBe('not-ready');
    expect(download({ ...job, status: 'expired' }, 0)).toBe('expired');
  });
});
