import { describe, expect, it } from 'vitest';
import { CaseStatsTable } from './case-stats.table';
import { computeStats } from './case-stats.memo';
import { computeStatsUncached, type StatsQuery } from './case-stats.query';
import { statCase } from './stat-case.fixture';

const T0 = Date.UTC(2025, 6, 1);
const DAY = 86_400_000;
const query = (filters: StatsQuery['filters'] = {}): StatsQuery => ({ from: T0, toExclusive: T0 + 2 * DAY, buckets: [{ start: '2025-07-01', at: T0 }, { start: '2025-07-02', at: T0 + DAY }], filters });

describe('computeStats remembers figures until the table changes', () => {
  it('answers a repeated query with the same frozen figures, and a changed table with new ones', () => {
    const t = new CaseStatsTable();
    t.upsert(statCase({ userChatCaseId: 'a', teamId: 't-1', waitingTime: 10 }));
    const first = computeStats(t, query());
    expect(computeStats(t, query())).toBe(first);
    expect(Object.isFrozen(first.summary.waitingTime)).toBe(true);

    t.upsert(statCase({ userChatCaseId: 'b', userChatCaseCreatedAt: T0 + DAY + 1, waitingTime: 30 }));
    const second = computeStats(t, query());
    expect(second).not.toBe(first);
    expect(second.summary.cases).toBe(2);
    expect(second.series.map((s) => s.summary.waitingTime.mean)).toEqual([10, 30]);
    expect(second).toEqual(computeStatsUncached(t, query()));
  });

  it('keeps each view apart, and past its size still answers each right', () => {
    const t = new CaseStatsTable();
    t.upsert(statCase({ userChatCaseId: 'a', teamId: 't-1' }));
    t.upsert(statCase({ userChatCaseId: 'b', teamId: 't-2' }));
    const views = Array.from({ length: 12 }, (_, k) => query({ teamIds: [k % 2 ? 't-1' : 't-2', `t-x${k}`] }));
    for (let round = 0; round < 2; round++) for (const q of views) expect(computeStats(t, q)).toEqual(computeStatsUncached(t, q));
    expect(computeStats(t, query({ teamIds: ['t-1'] })).summary.cases).toBe(1);
    expect(computeStats(t, query()).summary.cases).toBe(2);
  });
});
