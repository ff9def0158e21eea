import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '@casestats/events';
import { CaseStatsCache, applyBatch, selectionWhere } from '@casestats/read-model';
import { CaseDashboard, caseUrlBuilder, validateCaseQuery } from '@casestats/export';
import { createMigratedDatabase, plainSqlCaseStats, projectSimulation } from '@casestats/testing';

const RULES = { statsStartDate: '2025-06-26', defaultTimezone: 'Asia/Seoul' };
const caseUrl = caseUrlBuilder('https://desk.example/#/channels/{channelId}/user_chats/{userChatId}');

/**
 * Every figure of GET case-stats (computed in memory, libs/case-stats) against the plain SQL over
 * the same records (percentile_cont, avg, date_trunc in the zone: libs/testing case-stats.sql.ts),
 * on simulator data in real PostgreSQL; and a change projected afterwards shows in the figures.
 */
describe('case-stats figures equal the plain SQL over the same records', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let cache: CaseStatsCache;
  let dashboard: CaseDashboard;

  beforeAll(async () => {
    db = await createMigratedDatabase('cs_dash_figures');
    await projectSimulation(db.dataSource, { chats: 700, seed: 5, days: 45, channels: 2, start: Date.parse('2025-07-10T00:00:00Z') }, Date.parse('2025-08-15T00:00:00Z'));
    cache = new CaseStatsCache(db.dataSource, { pollMs: 60_000 });
    dashboard = new CaseDashboard(db.dataSource, cache, RULES, caseUrl);
  }, 180_000);
  afterAll(async () => {
    cache?.close();
    await db?.drop();
  });

  async function compare(query: Record<string, string | string[]>, interval: 'day' | 'week' | 'month') {
    const got = await dashboard.stats('ch-1', { ...query, interval });
    const q = validateCaseQuery('ch-1', query, RULES);
    const want = await plainSqlCaseStats(db.dataSource, 'proj_1', q.selection, q.timezone, interval);
    expect(got.percentiles).toBe('exact');
    expect(got.summary).toEqual(want.summary);
    expect(got.breakdowns).toEqual(want.breakdowns);
    expect(got.series.filter((s) => s.summary.cases > 0)).toEqual(want.series);
    for (const s of got.series.filter((x) => x.summary.cases === 0)) expect(s.summary.waitingTime).toEqual({ count: 0, mean: null, p50: null, p90: null });
    return got;
  }

  it.each<[string, Record<string, string | string[]>, 'day' | 'week' | 'month']>([
    ['days in Asia/Kathmandu (UTC+5:45)', { from: '2025-07-12', to: '2025-08-20', timezone: 'Asia/Kathmandu' }, 'day'],
    ['weeks from Monday in Asia/Kolkata (UTC+5:30), a team', { from: '2025-07-10', to: '2025-08-31', timezone: 'Asia/Kolkata', teamIds: 't-1-1' }, 'week'],
    ['months in Asia/Seoul, tags', { from: '2025-07-01', to: '2025-09-30', tags: ['VIP', '환불'] }, 'month'],
    ['days in UTC, medium, direction and state filters', { from: '2025-07-15', to: '2025-08-10', timezone: 'UTC', mediumNames: ['phoneNumber', 'inAppChat'], directions: 'INBOUND', caseStates: 'completed' }, 'day'],
  ])('%s', async (_, query, interval) => {
    const got = await compare(query, interval);
    expect(got.summary.cases).toBeGreaterThan(20);
    expect(got.summary.csat.count).toBeGreaterThan(0);
    expect(got.summary.waitingTime.count).toBeGreaterThan(0);
  });

  it.each([
    ['Asia/Kathmandu', '18:15'],
    ['Asia/Kolkata', '18:30'],
  ])('puts cases at the edges of days and of the range in %s (UTC+5:45, +5:30) where the plain SQL does', async (timezone, utcMidnight) => {
    const channelId = `ch-edge-${timezone.split('/')[1]}`;
    // Local midnights are at `utcMidnight` UTC the day before: each instant on and a millisecond before one.
    const instants = ['2025-07-11T', '2025-07-12T', '2025-07-14T'].flatMap((d) => {
      const midnight = Date.parse(`${d}${utcMidnight}:00Z`);
      return [midnight - 1, midnight].map((t) => new Date(t).toISOString());
    });
    const events = instants.map((occurredAt, i) => {
      const e = parseEvent(JSON.stringify({ id: `${channelId}-${i}`, type: 'userChat.opened', version: 2, occurredAt, channelId, userChatId: `edge-${i}`, data: { assignment: 'auto' } }));
      if (!e.ok) throw new Error(e.error.reason);
      return e.event;
    });
    await applyBatch(db.dataSource, 'proj_1', { events });
    const query = { from: '2025-07-12', to: '2025-07-14', timezone };
    const got = await dashboard.stats(channelId, { ...query, interval: 'day' });
    const q = validateCaseQuery(channelId, query, RULES);
    const want = await plainSqlCaseStats(db.dataSource, 'proj_1', q.selection, q.timezone, 'day');
    // Before the range, then the first instant of 07-12, the last of 07-12, the first of 07-13, the last of 07-14, after the range.
    expect(got.series.map((s) => [s.start, s.summary.cases])).toEqual([['2025-07-12', 2], ['2025-07-13', 1], ['2025-07-14', 1]]);
    expect(got.summary).toEqual(want.summary);
    expect(got.series.filter((s) => s.summary.cases > 0)).toEqual(want.series);
  });

  it('has every bucket of the range, in order, weeks from the Monday on or before from', async () => {
    const r = await dashboard.stats('ch-1', { from: '2025-07-09', to: '2025-07-22', interval: 'week' });
    expect(r.series.map((s) => s.start)).toEqual(['2025-07-07', '2025-07-14', '2025-07-21']);
    const days = await dashboard.stats('ch-1', { from: '2025-06-28', to: '2025-07-03' });
    expect(days.series.map((s) => [s.start, s.summary.cases])).toEqual(['2025-06-28', '2025-06-29', '2025-06-30', '2025-07-01', '2025-07-02', '2025-07-03'].map((d) => [d, 0]));
    expect(days.summary.waitingTime).toEqual({ count: 0, mean: null, p50: null, p90: null });
  });

  it('shows a change projected after the load once the cache has followed the feed', async () => {
    const query = { from: '2025-07-10', to: '2025-09-30' };
    const before = await dashboard.stats('ch-1', query);
    const event = parseEvent(
      JSON.stringify({ id: 'late-1', type: 'userChat.opened', version: 2, occurredAt: '2025-08-01T10:00:00Z', channelId: 'ch-1', userChatId: 'late-chat', data: { assignment: 'auto' } }),
    );
    if (!event.ok) throw new Error(event.error.reason);
    await applyBatch(db.dataSource, 'proj_1', { events: [event.event] });
    await cache.sync('ch-1');
    const after = await dashboard.stats('ch-1', query);
    expect(after.summary.cases).toBe(before.summary.cases + 1);
    expect(after.summary.inProgress).toBe(before.summary.inProgress + 1);
    expect(Date.parse(after.asOf)).toBeGreaterThanOrEqual(Date.parse(before.asOf));
    const { where, params } = selectionWhere(validateCaseQuery('ch-1', query, RULES).selection);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM proj_1.case_records r WHERE ${where}`, params);
    expect(after.summary.cases).toBe(n);
  });
});
