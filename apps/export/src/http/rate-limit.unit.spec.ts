import { describe, expect, it } from 'vitest';
import { AppError } from '@casestats/config';
import { RateLimiter } from './rate-limit';

const refusal = (limiter: RateLimiter, key: string) => {
  try {
    limiter.take(key);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).details.retryAfterSeconds as number;
  }
};

describe('RateLimiter', () => {
  it('allows no more than the limit across a window edge', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 'by test', () => now);
    // The whole limit at the end of one minute…
    now = 59_000;
    for (let i = 0; i < 10; i++) expect(refusal(limiter, 'a')).toBeNull();
    expect(refusal(limiter, 'a')).not.toBeNull();
    // …and two seconds later, in the next minute: a fixed window allowed ten more here.
    now = 61_000;
    const retry = refusal(limiter, 'a') ?? 0;
    expect(retry).toBeGreaterThan(0);
    // Once the earlier requests have faded enough, it may go on, and Retry-After said when.
    now = 61_000 + retry * 1000;
    expect(refusal(limiter, 'a')).toBeNull();
    // A minute without requests: the whole limit again.
    now = 200_000;
    for (let i = 0; i < 10; i++) expect(refusal(limiter, 'a')).toBeNull();
  });

  it('forgets the least recently seen keys when full, never every count at once', () => {
    const limiter = new RateLimiter(2, 'by test', () => 1_000);
    limiter.take('victim');
    limiter.take('victim');
    expect(refusal(limiter, 'victim')).not.toBeNull();
    // A client rotating addresses fills the map past its 100,000 keys: its oldest make room, the victim's count stays.
    for (let i = 0; i < 150_000; i++) {
      limiter.take(`rotating-${i}`);
      if (i % 1000 === 999) expect(refusal(limiter, 'victim'), `after ${i + 1} rotating keys`).not.toBeNull();
    }
  });

  it('forgets keys whose counts no longer matter before any live one', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 'by test', () => now, 2);
    limiter.take('old');
    now = 130_000;
    limiter.take('live');
    // "old" is two minutes stale: it goes, not "live", which stays at its limit.
    limiter.take('new');
    expect(refusal(limiter, 'live')).not.toBeNull();
    expect(refusal(limiter, 'old')).toBeNull();
  });
});
