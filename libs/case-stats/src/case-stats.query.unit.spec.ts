import { describe, expect, it } from 'vitest';
import { CaseStatsTable } from './case-stats.table';
import { byCasesThenId, type StatsFilters, type StatsQuery } from './case-stats.query';
import { computeStats } from './case-stats.memo';
import { caseFilterValues } from './case-filters';
import { DURATION_METRICS, summarize, type StatCase } from './summary';
import { statCase } from './stat-case.fixture';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 6, 1);

/** A deterministic pseudo-random stream (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCases(n: number, seed: number): StatCase[] {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const maybe = (v: number) => (r() < 0.2 ? null : v);
  return Array.from({ length: n }, (_, k) => {
    const team = pick(['t-1', 't-2', 't-3', null]);
    const assignee = pick(['m-1', 'm-2', null]);
    return statCase({
      // Some cases share an instant, so that naming breaks ties by case id.
      userChatCaseCreatedAt: T0 + Math.floor(r() * 10 * 24) * HOUR,
      userChatCaseId: `uc-${k}-1`,
      userChatCaseState: pick(['inProgress', 'completed']),
      direction: pick(['INBOUND', 'OUTBOUND']),
      userChatState: pick(['queued', 'open', 'closed']),
      teamId: team,
      teamName: team && `${team} name ${k % 3}`,
      assigneeId: assignee,
      assigneeName: assignee && `${assignee} v${k % 4}`,
      mediumName: pick(['app', 'phone', null]),
      tags: pick([[], ['vip'], ['vip', 'refund'], ['refund', 'refund']]),
      replyCount: pick([0, 1, 3]),
      missedCount: pick([0, 0, 2]),
      snoozedCount: pick([0, 1]),
      csat: pick([undefined, 1, 3, 5, 4.5, '2']),
      waitingTime: maybe(Math.floor(r() * 600)),
      avgReplyTime: maybe(Math.floor(r() * 100)),
      resolutionTime: maybe(Math.floor(r() * 5000)),
      leadTime: maybe(pick([5, 5, 5, 7])),
      totalSnoozedTime: maybe(0),
    });
  });
}

/** Day buckets in UTC+5:45 over ten days from 2025-07-01, the range's edges on local midnights. */
function query(filters: StatsFilters = {}): StatsQuery {
  const offset = (5 * 60 + 45) * 60_000;
  const buckets = Array.from({ length: 10 }, (_, d) => ({ start: `2025-07-${String(d + 1).padStart(2, '0')}`, at: T0 + d * 24 * HOUR - offset }));
  return { from: buckets[0].at, toExclusive: buckets[9].at + 24 * HOUR, buckets, filters };
}

/** The same figures the plain way: select, group, summarize each group. */
function reference(cases: StatCase[], q: StatsQuery) {
  const f = q.filters;
  const has = (list: string[] | undefined, v: string | null) => !list?.length || (v !== null && list.includes(v));
  const sel = cases.filter(
    (c) =>
      c.userChatCaseCreatedAt >= q.from &&
      c.userChatCaseCreatedAt < q.toExclusive &&
      has(f.teamIds, c.teamId) &&
      has(f.assigneeIds, c.assigneeId) &&
      has(f.mediumNames, c.mediumName) &&
      has(f.directions, c.direction) &&
      has(f.caseStates, c.userChatCaseState) &&
      has(f.userChatStates, c.userChatState) &&
      (!f.tags?.length || c.tags.some((t) => f.tags?.includes(t))),
  );
  const group = (keys: (c: StatCase) => (string | null)[], name?: (c: StatCase) => string | null) => {
    const by = new Map<string | null, StatCase[]>();
    for (const c of sel) for (const k of new Set(keys(c))) by.set(k, [...(by.get(k) ?? []), c]);
    return [...by].map(([id, cs]) => {
      const [last] = [...cs].sort((a, b) => b.userChatCaseCreatedAt - a.userChatCaseCreatedAt || (a.userChatCaseId < b.userChatCaseId ? 1 : -1));
      return { id, name: name ? name(last) : id, summary: summarize(cs) };
    }).sort(byCasesThenId);
  };
  return {
    percentiles: 'exact',
    summary: summarize(sel),
    series: q.buckets.map((b, k) => ({
      start: b.start,
      summary: summarize(sel.filter((c) => c.userChatCaseCreatedAt >= b.at && (k + 1 === q.buckets.length || c.userChatCaseCreatedAt < q.buckets[k + 1].at))),
    })),
    breakdowns: {
      team: group((c) => [c.teamId], (c) => c.teamName),
      assignee: group((c) => [c.assigneeId], (c) => c.assigneeName),
      medium: group((c) => [c.mediumName]),
      tag: group((c) => (c.tags.length ? [...c.tags] : [null])),
      direction: group((c) => [c.direction]),
    },
  };
}

function tableOf(cases: StatCase[]): CaseStatsTable {
  const t = new CaseStatsTable();
  for (const c of cases) t.upsert(c);
  return t;
}

describe('computeStats: the figures of dashboard.md, exact, over a columnar table', () => {
  const cases = randomCases(3000, 7);
  const table = tableOf(cases);

  it.each<[string, StatsFilters]>([
    ['no filter', {}],
    ['a team and a tag', { teamIds: ['t-1'], tags: ['vip'] }],
    ['several filters at once', { assigneeIds: ['m-2'], mediumNames: ['app', 'phone'], directions: ['INBOUND'], caseStates: ['completed'], userChatStates: ['closed', 'open'] }],
    ['a value no case has', { teamIds: ['t-none'] }],
  ])('agrees with the plain computation: %s', (_, filters) => {
    expect(computeStats(table, query(filters))).toEqual(reference(cases, query(filters)));
  });

  it.each<[string, StatsFilters]>([
    ['no filter', {}],
    ['a team and a tag', { teamIds: ['t-1'], tags: ['vip'] }],
  ])('approximate percentiles stay within 1%% or 1 s, and say so; every other figure is exact: %s', (_, filters) => {
    const wide = randomCases(2000, 11).map((c, k) => ({ ...c, waitingTime: c.waitingTime === null ? null : c.waitingTime * (k % 7) ** 4 }));
    const got = computeStats(tableOf(wide), query(filters), 0);
    const want = reference(wide, query(filters));
    expect(got.percentiles).toBe('approximate');
    const summaries = (r: typeof got | typeof want) => [r.summary, ...r.series.map((s) => s.summary), ...Object.values(r.breakdowns).flat().map((g) => g.summary)];
    const [a, b] = [summaries(got), summaries(want)];
    expect(a.length).toBe(b.length);
    let compared = 0;
    a.forEach((s, k) => {
      for (const m of DURATION_METRICS) {
        for (const p of ['p50', 'p90'] as const) {
          const [x, y] = [s[m][p], b[k][m][p]];
          if (y === null) expect(x).toBeNull();
          else expect(Math.abs((x ?? NaN) - y)).toBeLessThanOrEqual(Math.max(1, Math.abs(y) * 0.01));
          compared++;
        }
      }
    });
    expect(compared).toBeGreaterThan(100);
    const withoutPercentiles = (r: typeof got | typeof want) =>
      JSON.parse(JSON.stringify({ ...r, percentiles: null }, (k, v) => (k === 'p50' || k === 'p90' ? undefined : v)));
    expect(withoutPercentiles(got)).toEqual(withoutPercentiles(want));
  });

  it('gives every bucket, empty ones with cases 0 and null figures', () => {
    const one = tableOf([statCase({ userChatCaseCreatedAt: T0 + 30 * HOUR, waitingTime: 5 })]);
    const r = computeStats(one, query());
    expect(r.series.map((s) => s.summary.cases)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(r.series[0].summary.waitingTime).toEqual({ count: 0, mean: null, p50: null, p90: null });
  });

  it('counts a case once under each of its tags, and tagless cases under null', () => {
    const r = computeStats(tableOf([statCase({ userChatCaseId: 'a', tags: ['x', 'y', 'x'] }), statCase({ userChatCaseId: 'b' })]), query());
    expect(r.breakdowns.tag.map((g) => [g.id, g.summary.cases])).toEqual([['x', 1], ['y', 1], [null, 1]]);
  });

  it('names a team by its latest case, and keeps the later version of an updated case', () => {
    const t = tableOf([
      statCase({ userChatCaseId: 'a', userChatCaseCreatedAt: T0 + HOUR, teamId: 't', teamName: 'Old' }),
      statCase({ userChatCaseId: 'b', userChatCaseCreatedAt: T0 + 2 * HOUR, teamId: 't', teamName: 'New' }),
    ]);
    expect(computeStats(t, query()).breakdowns.team).toMatchObject([{ id: 't', name: 'New' }]);
    t.upsert(statCase({ userChatCaseId: 'b', userChatCaseCreatedAt: T0 + 2 * HOUR, teamId: 'u', teamName: 'Other' }));
    expect(computeStats(t, query()).breakdowns.team).toMatchObject([{ id: 't', name: 'Old', summary: { cases: 1 } }, { id: 'u', name: 'Other', summary: { cases: 1 } }]);
  });

  it('leaves out cases before from and at or after the end', () => {
    const q = query();
    const r = computeStats(tableOf([statCase({ userChatCaseId: 'a', userChatCaseCreatedAt: q.from - 1 }), statCase({ userChatCaseId: 'b', userChatCaseCreatedAt: q.toExclusive }), statCase({ userChatCaseId: 'c', userChatCaseCreatedAt: q.from })]), q);
    expect(r.summary.cases).toBe(1);
  });
});

describe('caseFilterValues', () => {
  it('offers the teams, assignees, tags and media of the range, sorted by id, named by the latest case', () => {
    const t = tableOf([
      statCase({ userChatCaseId: 'a', userChatCaseCreatedAt: T0 + HOUR, teamId: 't-2', teamName: 'B old', assigneeId: 'm-1', assigneeName: 'Kim', tags: ['z', 'a'], mediumName: 'phone' }),
      statCase({ userChatCaseId: 'b', userChatCaseCreatedAt: T0 + 2 * HOUR, teamId: 't-2', teamName: 'B', mediumName: 'app' }),
      statCase({ userChatCaseId: 'c', userChatCaseCreatedAt: T0 + 3 * HOUR, teamId: 't-1', teamName: 'A' }),
      statCase({ userChatCaseId: 'd', userChatCaseCreatedAt: T0 - HOUR, teamId: 't-0', teamName: 'outside', tags: ['out'] }),
    ]);
    expect(caseFilterValues(t, T0, T0 + 24 * HOUR)).toEqual({
      teams: [{ id: 't-1', name: 'A' }, { id: 't-2', name: 'B' }],
      assignees: [{ id: 'm-1', name: 'Kim' }],
      tags: ['a', 'z'],
      mediumNames: ['app', 'phone'],
    });
  });
});
