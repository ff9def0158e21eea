import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStatsCache } from '@casestats/read-model';
import { CaseDashboard, caseUrlBuilder, runExport, validateExportRequest } from '@casestats/export';
import { createMigratedDatabase, projectSimulation, readEncryptedXlsx, sheetObjects } from '@casestats/testing';

const RULES = { statsStartDate: '2025-06-26', defaultTimezone: 'Asia/Seoul' };
const URL_TEMPLATE = 'https://desk.example/#/channels/{channelId}/user_chats/{userChatId}';
const caseUrl = caseUrlBuilder(URL_TEMPLATE);

/**
 * The invariant of dashboard.md: for the same channel, range, time zone and filters, the
 * dashboard's `cases` is the number of rows the export writes, and the case list holds the file's
 * cases in the file's order. On simulator data in real PostgreSQL, across zones with half- and
 * quarter-hour offsets, whose day edges fall inside UTC days.
 */
describe('dashboard and export agree on which cases', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let cache: CaseStatsCache;
  let dashboard: CaseDashboard;
  let dir: string;

  beforeAll(async () => {
    db = await createMigratedDatabase('cs_dash_agree');
    // Cases closed over an hour before 2025-08-10 are completed; later ones stay in progress.
    await projectSimulation(db.dataSource, { chats: 500, seed: 18, days: 30, channels: 2, start: Date.parse('2025-07-20T00:00:00Z') }, Date.parse('2025-08-10T00:00:00Z'));
    cache = new CaseStatsCache(db.dataSource, { pollMs: 60_000 });
    dashboard = new CaseDashboard(db.dataSource, cache, RULES, caseUrl);
    dir = mkdtempSync(join(tmpdir(), 'casestats-agree-'));
  }, 180_000);
  afterAll(async () => {
    cache?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  const variants: [string, Record<string, string>, Record<string, string[]>][] = [
    ['Asia/Kathmandu (UTC+5:45), no filter', { from: '2025-07-24', to: '2025-08-06', timezone: 'Asia/Kathmandu' }, {}],
    ['Asia/Kolkata (UTC+5:30), a team', { from: '2025-07-22', to: '2025-08-12', timezone: 'Asia/Kolkata' }, { teamIds: ['t-1-2'] }],
    ['Asia/Seoul, a team and a tag', { from: '2025-07-20', to: '2025-08-20' }, { teamIds: ['t-1-1', 't-1-3'], tags: ['VIP', '환불'] }],
    ['America/St_Johns (UTC−2:30), media, direction and states', { from: '2025-07-25', to: '2025-08-15', timezone: 'America/St_Johns' }, { mediumNames: ['phoneNumber', 'inAppChat'], directions: ['INBOUND'], caseStates: ['completed'] }],
    ['Asia/Kathmandu, assignees, chat states and cases in progress', { from: '2025-07-20', to: '2025-08-31', timezone: 'Asia/Kathmandu' }, { assigneeIds: ['m-1-1', 'm-1-4'], userChatStates: ['closed', 'open', 'missed'], caseStates: ['inProgress', 'completed'] }],
  ];

  it.each(variants)('%s', async (_, range, filters) => {
    const query: Record<string, string | string[]> = { ...range, ...filters };
    const stats = await dashboard.stats('ch-1', query);
    const request = validateExportRequest('ch-1', { ...range, filters, password: 'Secret42', reason: 'agreement test' }, RULES);
    const out = join(dir, `agree-${Math.random().toString(36).slice(2)}.xlsx`);
    const result = await runExport({
      db: db.dataSource, request, outPath: out, maxRows: 1_000_000, caseUrlTemplate: URL_TEMPLATE,
      exportedBy: { id: 'm-1' }, asOf: new Date('2025-09-01T00:00:00Z'), spinCount: 1000,
    });
    expect(stats.summary.cases).toBe(result.caseRows);
    expect(stats.series.reduce((n, s) => n + s.summary.cases, 0)).toBe(result.caseRows);

    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await dashboard.cases('ch-1', { ...query, limit: '37', ...(cursor && { cursor }) });
      listed.push(...page.items.map((i) => i.userChatCaseId as string));
      cursor = page.nextCursor;
    } while (cursor);
    const file = sheetObjects(await readEncryptedXlsx(out, 'Secret42'), 'Case data').map((r) => String(r.userChatCaseId));
    expect(listed).toEqual(file);
    expect(listed.length).toBe(result.caseRows);
  });

  it('the variants select something, and not everything', async () => {
    const all = await dashboard.stats('ch-1', { from: '2025-07-01', to: '2025-12-31' });
    for (const [, range, filters] of variants) {
      const n = (await dashboard.stats('ch-1', { ...range, ...filters })).summary.cases;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(all.summary.cases);
    }
  });
});
