import type { CaseStatsTable } from './case-stats.table';
import { EXACT_PERCENTILES_UP_TO, computeStatsUncached, type StatsResult } from './case-stats.query';
import type { StatsQuery } from './case-stats.scan';

/** How many figure sets a table keeps: a few views (ranges, filters) open at once. */
const MEMO_SIZE = 8;
const memos = new WeakMap<CaseStatsTable, { version: number; results: Map<string, StatsResult> }>();

/**
 * computeStatsUncached, remembered per table until the table changes (its version moves with every
 * upsert from the change feed): an open dashboard refreshing itself, or several people on one view,
 * ask for the same figures many times between two changes. The result is frozen, being shared.
 */
export function computeStats(t: CaseStatsTable, q: StatsQuery, exactUpTo = EXACT_PERCENTILES_UP_TO): StatsResult {
  let memo = memos.get(t);
  if (!memo || memo.version !== t.version) memos.set(t, (memo = { version: t.version, results: new Map() }));
  const key = JSON.stringify([q.from, q.toExclusive, q.buckets, q.filters, exactUpTo]);
  let result = memo.results.get(key);
  if (result) {
    // Most recently used last, so that the oldest is the one dropped.
    memo.results.delete(key);
  } else {
    result = deepFreeze(computeStatsUncached(t, q, exactUpTo));
    if (memo.results.size >= MEMO_SIZE) memo.results.delete(memo.results.keys().next().value as string);
  }
  memo.results.set(key, result);
  return result;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
