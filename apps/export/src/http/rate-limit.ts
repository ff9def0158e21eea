import { AppError } from '@casestats/config';

const WINDOW_MS = 60_000;
/** Past this many keys the least recently seen are forgotten: memory stays bounded under a flood of addresses. */
const MAX_KEYS = 100_000;

/** A key's requests in the current minute-window and in the one before; a link of the order of use. */
interface Counts {
  key: string;
  window: number;
  current: number;
  previous: number;
  older: Counts | null;
  newer: Counts | null;
}

/**
 * A sliding one-minute window per key (a client address, a member): the previous window's count,
 * weighted by how much of it still lies within the last minute, plus the current one's. A fixed
 * window let a client spend its limit at a window's end and again at the next one's start: twice
 * the limit within seconds. In memory: each instance counts its own requests, which is what
 * protects it.
 */
export class RateLimiter {
  private readonly counts = new Map<string, Counts>();
  /**
   * The keys in order of use, as a list of their own: a Map's insertion order would do, but each
   * key forgotten at its front leaves a slot there that every later look at the front skips, so
   * takes slowed in proportion to the keys forgotten (600,000 rotating keys took 44 s).
   */
  private oldest: Counts | null = null;
  private newest: Counts | null = null;

  constructor(
    private readonly limit: number,
    private readonly what: string,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  /** Counts one request of `key`; throws INPUT.RATE_LIMITED past the limit (a refused request is not counted). */
  take(key: string): void {
    const now = this.now();
    const window = Math.floor(now / WINDOW_MS);
    const counts = this.touch(key, window);
    const elapsed = (now - window * WINDOW_MS) / WINDOW_MS;
    if (counts.previous * (1 - elapsed) + counts.current + 1 > this.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((this.allowedAt(counts, window) - now) / 1000));
      throw new AppError('INPUT.RATE_LIMITED', `too many requests ${this.what}: at most ${this.limit} a minute; try again in ${retryAfterSeconds} s`, [], { retryAfterSeconds });
    }
    counts.current++;
  }

  /** The key's counts rolled to `window` and made the newest; stale keys are forgotten first. */
  private touch(key: string, window: number): Counts {
    let counts = this.counts.get(key);
    if (counts) this.unlink(counts);
    // Keys whole minutes old are forgotten as they reach the front; only when every key is live
    // is the least recently seen one forgotten, never every count at once.
    while (this.oldest && (this.oldest.window < window - 1 || this.counts.size >= this.maxKeys + (counts ? 1 : 0))) {
      this.counts.delete(this.oldest.key);
      this.unlink(this.oldest);
    }
    if (!counts) {
      counts = { key, window, current: 0, previous: 0, older: null, newer: null };
      this.counts.set(key, counts);
    } else if (counts.window !== window) {
      counts.previous = counts.window === window - 1 ? counts.current : 0;
      counts.current = 0;
      counts.window = window;
    }
    counts.older = this.newest;
    if (this.newest) this.newest.newer = counts;
    else this.oldest = counts;
    this.newest = counts;
    return counts;
  }

  private unlink(counts: Counts): void {
    if (counts.older) counts.older.newer = counts.newer;
    else this.oldest = counts.newer;
    if (counts.newer) counts.newer.older = counts.older;
    else this.newest = counts.older;
    counts.older = counts.newer = null;
  }

  /** When one more request fits: within this window as the previous one's weight fades, or in the next. */
  private allowedAt(counts: Counts, window: number): number {
    const start = window * WINDOW_MS;
    const room = this.limit - counts.current - 1;
    if (room >= 0 && counts.previous > 0) return start + WINDOW_MS * (1 - room / counts.previous);
    // The next window weighs this one's count as its previous; limit - 1 of it must have faded.
    return start + WINDOW_MS + WINDOW_MS * Math.max(0, 1 - (this.limit - 1) / counts.current);
  }
}
