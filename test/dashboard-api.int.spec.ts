import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { createDataSource } from '@casestats/read-model';
import { ExportServer, startExportServer } from '@casestats/export-app';
import { SCENARIOS_FILE, TestDatabase, createTestDatabase, expectedCases, runCasestats } from '@casestats/testing';
import { type Json, memberApi } from './support/member-api';

const SECRET = 'test-secret-0123456789abcdef';
const RANGE = 'from=2025-06-26&to=2025-12-26';

/** The dashboard's API over HTTP on the fixtures (dashboard.md, "The API"): shapes, paging, permissions and refusals. */
describe('the dashboard API', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let server: ExportServer;
  const { token, get, json } = memberApi(() => server.url, SECRET, ['caseStats:view']);
  /** ch-1's expected records in the export's order. */
  const expected = () =>
    expectedCases()
      .filter((e) => e.channelId === 'ch-1')
      .sort((a, b) => String(a.userChatCaseCreatedAt).localeCompare(String(b.userChatCaseCreatedAt)) || (String(a.userChatCaseId) < String(b.userChatCaseId) ? -1 : 1));

  beforeAll(async () => {
    db = await createTestDatabase('cs_dashapi');
    const env = { DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET };
    expect((await runCasestats(['migrate'], env)).code).toBe(0);
    expect((await runCasestats(['project', '--events', SCENARIOS_FILE], env)).code).toBe(0);
    ds = createDataSource(db.url);
    await ds.initialize();
    const dir = mkdtempSync(join(tmpdir(), 'casestats-dashapi-'));
    server = await startExportServer(loadConfig({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: dir }), ds, () => undefined, 0);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('case-stats answers the spec shape for the fixtures, counted from the expected records', async () => {
    const r = await json(`/api/channels/ch-1/case-stats?${RANGE}&interval=month`);
    const cases = expected();
    expect(r).toMatchObject({ channelId: 'ch-1', from: '2025-06-26', to: '2025-12-26', timezone: 'Asia/Seoul', interval: 'month', filters: {}, percentiles: 'exact' });
    expect(new Date(r.asOf).toISOString()).toBe(r.asOf);
    expect(r.summary.cases).toBe(cases.length);
    expect(r.summary.inProgress).toBe(cases.filter((c) => c.userChatCaseState === 'inProgress').length);
    expect(r.summary.missedCalls).toBe(cases.reduce((n, c) => n + Number(c.missedCount), 0));
    expect(Object.keys(r.summary.csat.distribution)).toEqual(['1', '2', '3', '4', '5']);
    expect(r.series.map((s: Json) => s.start)).toEqual(['2025-06-01', '2025-07-01', '2025-08-01', '2025-09-01', '2025-10-01', '2025-11-01', '2025-12-01']);
    const teams = new Map<string | null, number>();
    for (const c of cases) teams.set(c.teamId as string | null, (teams.get(c.teamId as string | null) ?? 0) + 1);
    expect(r.breakdowns.team.map((g: Json) => [g.id, g.summary.cases]).sort()).toEqual([...teams].sort());
    expect(r.breakdowns.direction.map((g: Json) => g.id).sort()).toEqual([...new Set(cases.map((c) => c.direction))].sort());
  });

  it('case-stats applies repeated filter parameters', async () => {
    const all = await json(`/api/channels/ch-1/case-stats?${RANGE}`);
    const one = await json(`/api/channels/ch-1/case-stats?${RANGE}&teamIds=t-1&teamIds=t-none`);
    expect(one.filters).toEqual({ teamIds: ['t-1', 't-none'] });
    expect(one.summary.cases).toBe(expected().filter((c) => c.teamId === 't-1').length);
    expect(one.summary.cases).toBeLessThan(all.summary.cases);
  });

  it('cases gives the records as the change feed does, in export order, page by page', async () => {
    const whole = await json(`/api/channels/ch-1/cases?${RANGE}`);
    expect(whole.nextCursor).toBeUndefined();
    expect(whole.items).toEqual(expected());
    const feed = await json('/api/channels/ch-1/case-changes', await token({ permissions: ['caseStats:download'] }));
    const fromFeed = new Map(feed.items.map((i: Json) => [i.userChatCaseId, i]));
    for (const item of whole.items) expect(item).toEqual(fromFeed.get(item.userChatCaseId));

    const paged: Json[] = [];
    let cursor = '';
    for (let i = 0; i < 10; i++) {
      const page = await json(`/api/channels/ch-1/cases?${RANGE}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(paged).toEqual(expected());
  });

  it('case-filters offers the range’s teams, assignees, tags and media, sorted', async () => {
    const r = await json(`/api/channels/ch-1/case-filters?${RANGE}`);
    const cases = expected();
    const ids = (key: string) => [...new Set(cases.map((c) => c[key]).filter((v) => v !== null))].sort() as string[];
    expect(r.teams.map((t: Json) => t.id)).toEqual(ids('teamId'));
    expect(r.assignees.map((t: Json) => t.id)).toEqual(ids('assigneeId'));
    expect(r.mediumNames).toEqual(ids('mediumName'));
    expect(r.tags).toEqual([...new Set(cases.flatMap((c) => (c.tags ? String(c.tags).split(', ') : [])))].sort());
    const latestT1 = [...cases].reverse().find((c) => c.teamId === 't-1');
    expect(r.teams.find((t: Json) => t.id === 't-1').name).toBe(latestT1?.teamName);
  });

  it('reads with caseStats:view or caseStats:download; refuses no token (401), another channel or another permission (403)', async () => {
    for (const path of ['case-stats', 'case-filters', 'cases']) {
      expect((await get(`/api/channels/ch-1/${path}?${RANGE}`, await token({ permissions: ['caseStats:download'] }))).status).toBe(200);
      expect((await get(`/api/channels/ch-1/${path}?${RANGE}`, await token({ permissions: ['caseStats:view'] }))).status).toBe(200);
      const none = await get(`/api/channels/ch-1/${path}?${RANGE}`);
      expect(none.status).toBe(401);
      expect(((await none.json()) as Json).code).toBe('AUTH.UNAUTHENTICATED');
      expect((await get(`/api/channels/ch-1/${path}?${RANGE}`, await token({ permissions: ['caseStats:view'], channelId: 'ch-2' }))).status).toBe(403);
      expect((await get(`/api/channels/ch-1/${path}?${RANGE}`, await token({ permissions: ['caseStats:audit'] }))).status).toBe(403);
    }
  });

  it.each([
    ['case-stats?from=2025-06-01&to=2025-06-30', 'EXPORT.TOO_EARLY', 'from'],
    ['case-stats?from=2025-08-31&to=2026-03-01', 'EXPORT.RANGE_TOO_LONG', 'to'],
    ['case-stats?from=2025-08-02&to=2025-08-01', 'EXPORT.RANGE_REVERSED', 'to'],
    ['case-stats?from=2025-08-01', 'EXPORT.INVALID_REQUEST', 'to'],
    ['case-stats?from=2025-08-01&to=2025-08-31&timezone=Mars/Base', 'EXPORT.INVALID_REQUEST', 'timezone'],
    ['case-stats?from=2025-08-01&to=2025-08-31&interval=year', 'EXPORT.INVALID_REQUEST', 'interval'],
    ['case-stats?from=2025-08-01&to=2025-08-31&teamId=t-1', 'EXPORT.INVALID_REQUEST', 'teamId'],
    ['case-stats?from=2025-08-01&to=2025-08-31&mediumNames=pigeon', 'EXPORT.INVALID_REQUEST', 'filters.mediumNames'],
    ['case-stats?from=2025-08-01&from=2025-08-02&to=2025-08-31', 'EXPORT.INVALID_REQUEST', 'from'],
    ['case-filters?from=2025-08-31&to=2026-03-01', 'EXPORT.RANGE_TOO_LONG', 'to'],
    ['cases?from=2025-08-01&to=2025-08-31&limit=0', 'INPUT.INVALID', 'limit'],
    ['cases?from=2025-08-01&to=2025-08-31&limit=1001', 'INPUT.INVALID', 'limit'],
    ['cases?from=2025-08-01&to=2025-08-31&cursor=bm90LWEtY3Vyc29y.abc', 'INPUT.INVALID', 'cursor'],
  ])('400 for %s: %s naming %s', async (path, code, field) => {
    const res = await get(`/api/channels/ch-1/${path}`, await token());
    expect(res.status).toBe(400);
    const body = (await res.json()) as Json;
    expect(body.code).toBe(code);
    expect(body.problems.map((p: Json) => p.field)).toContain(field);
  });

  it('is in the OpenAPI description', async () => {
    const doc = (await (await get('/api/openapi.json')).json()) as Json;
    for (const path of ['case-stats', 'case-filters', 'cases']) expect(doc.paths[`/api/channels/{channelId}/${path}`].get.responses['400']).toBeDefined();
    expect(doc.components.schemas.CaseSummary.properties.waitingTime.properties.p90).toBeDefined();
  });
});
