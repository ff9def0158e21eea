import { describe, expect, it } from 'vitest';
import { csatScore, percentileCont, summarize } from './summary';
import { statCase } from './stat-case.fixture';


describe('percentiles: percentile_cont, position f·(n−1) with linear interpolation', () => {
  it('interpolates between the closest ranks', () => {
    expect(percentileCont([10, 20, 30, 40], 0.5)).toBe(25);
    // 0.9 · 3 = 2.7: 30 + 0.7 · 10
    expect(percentileCont([10, 20, 30, 40], 0.9)).toBeCloseTo(37, 12);
    expect(percentileCont([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9)).toBe(10);
  });
  it('is the value itself for one value, null for none', () => {
    expect(percentileCont([7], 0.5)).toBe(7);
    expect(percentileCont([7], 0.9)).toBe(7);
    expect(percentileCont([], 0.5)).toBeNull();
  });
});

describe('csat: an integer 1–5 counts, anything else does not', () => {
  it.each([[1, 1], [5, 5], [3.0, 3]])('%s → %s', (v, s) => expect(csatScore(v)).toBe(s));
  it.each([[0], [6], [4.5], ['5'], [null], [undefined], [true]])('%s → null', (v) => expect(csatScore(v)).toBeNull());
});

describe('summary of a set of cases', () => {
  const cases = [
    statCase({ userChatCaseId: 'a-1', userChatCaseState: 'inProgress', direction: 'OUTBOUND', replyCount: 2, waitingTime: 10, avgReplyTime: 30, csat: 5, missedCount: 2 }),
    statCase({ userChatCaseId: 'b-1', replyCount: 1, waitingTime: 20, resolutionTime: 100, leadTime: 120, csat: 4, snoozedCount: 1, totalSnoozedTime: 60 }),
    statCase({ userChatCaseId: 'c-1', waitingTime: 40, csat: 4.5, missedCount: 1 }),
    statCase({ userChatCaseId: 'd-1', waitingTime: 0, csat: '5' }),
  ];
  const s = summarize(cases);

  it('counts cases by state and direction', () => {
    expect(s).toMatchObject({ cases: 4, inProgress: 1, completed: 3, inbound: 3, outbound: 1 });
  });
  it('counts replied, missed and snoozed cases, and sums the missed calls', () => {
    expect(s).toMatchObject({ replied: 2, missedCases: 2, missedCalls: 3, snoozedCases: 1 });
  });
  it('gives count, mean, p50 and p90 of each duration over its non-null values', () => {
    // waiting 0, 10, 20, 40: mean 17.5; p50 at 1.5 → 15; p90 at 2.7 → 20 + 0.7·20 = 34
    expect(s.waitingTime.count).toBe(4);
    expect(s.waitingTime.mean).toBe(17.5);
    expect(s.waitingTime.p50).toBe(15);
    expect(s.waitingTime.p90).toBeCloseTo(34, 12);
    expect(s.avgReplyTime).toEqual({ count: 1, mean: 30, p50: 30, p90: 30 });
    expect(s.resolutionTime).toEqual({ count: 1, mean: 100, p50: 100, p90: 100 });
    expect(s.leadTime).toEqual({ count: 1, mean: 120, p50: 120, p90: 120 });
    expect(s.totalSnoozedTime).toEqual({ count: 1, mean: 60, p50: 60, p90: 60 });
  });
  it('averages CSAT over integer scores 1–5 with all five keys in the distribution', () => {
    expect(s.csat).toEqual({ count: 2, mean: 4.5, distribution: { '1': 0, '2': 0, '3': 0, '4': 1, '5': 1 } });
  });
  it('has nulls where there is no value, and zeroes for no cases', () => {
    const empty = summarize([]);
    expect(empty.cases).toBe(0);
    expect(empty.waitingTime).toEqual({ count: 0, mean: null, p50: null, p90: null });
    expect(empty.csat).toEqual({ count: 0, mean: null, distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } });
  });
});
