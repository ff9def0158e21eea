import { AppError } from '@casestats/config';

const WINDOW_MS = 60_000;
/** Past this many keys a window's counts are dropped early: memory stays bounded under a flood of addresses. */
const MAX_KEYS = 100_000;

/**
 * A fixed one-minute window per key (a client address, a member). In memory: each instance
 * counts its own requests, which is what protects it.
 */
export class RateLimiter {
  private counts = new Map<string, number>();
  private windowStart = 0;

  constructor(
    private readonly limit: number,
    private readonly what: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request of `key`; throws INPUT.RATE_LIMITED past the limit. */
  take(key: string): void {
    const now = this.now();
    if (now - this.windowStart >= WINDOW_MS || this.counts.size >= MAX_KEYS) {
      this.counts = new Map();
      this.windowStart = now;
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count > this.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((this.windowStart + WINDOW_MS - now) / 1000));
      throw new AppError('INPUT.RATE_LIMITED', `too many requests ${this.what}: at most ${this.limit} a minute; try again in ${retryAfterSeconds} s`, [], { retryAfterSeconds });
    }
  }
}
