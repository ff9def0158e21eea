import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { createDataSource, migrate, projectNdjsonFile } from '@casestats/read-model';
import { REPO_ROOT, SCENARIOS_FILE, TestDatabase, createTestDatabase } from '@casestats/testing';
import { ExportServer, signMemberToken, startExportServer } from '@casestats/export-app';

const SECRET = 'dash-page-secret-0123456789abcdef';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RANGE = 'from=2025-06-26&to=2025-12-26&timezone=Asia%2FSeoul';
const VIEW = `${RANGE}&interval=month`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const tokenFor = (permissions: string[]) =>
  signMemberToken({ memberId: 'm-7', name: '운영팀 박', channelId: 'ch-1', permissions, expiresIn: '1h' }, SECRET, Math.floor(Date.now() / 1000));

/** The dashboard page (dashboard.md, "The page") on the fixtures, in real headless Chromium, checked against the API. */
describe('the dashboard page in real headless Chromium', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let server: ExportServer;
  let browser: Browser;

  beforeAll(async () => {
    db = await createTestDatabase('cs_dashpage');
    ds = createDataSource(db.url);
    await ds.initialize();
    await migrate(ds);
    await projectNdjsonFile(ds, 'proj_1', SCENARIOS_FILE);
    const dir = mkdtempSync(join(tmpdir(), 'casestats-dashpage-'));
    server = await startExportServer(loadConfig({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: dir }), ds, () => undefined, 0);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ds?.destroy();
    await db?.drop();
  });

  const api = async (path: string, permissions = ['caseStats:view']): Promise<Json> => {
    const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${await tokenFor(permissions)}` } });
    expect(res.status, path).toBe(200);
    return res.json();
  };

  /** A page opened on `search`, signed in, with what it logs as errors (CSP violations, script errors, 404s). */
  async function open(search: string, permissions: string[], width = 1440, height = 900, locale = 'ko-KR'): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height }, timezoneId: 'Asia/Seoul', locale });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.url}/?${search}#token=${await tokenFor(permissions)}`);
    await expect.poll(() => page.locator('#fig-cases .value').textContent(), { timeout: 15_000 }).toMatch(/\d/);
    return { context, page, problems };
  }
  const figure = (page: Page, key: string) => page.locator(`#fig-${key} .value`).textContent();
  const count = (n: number) => n.toLocaleString('ko-KR');

  it('shows the figures, charts, breakdowns and case list the API answers, and keeps the view in the URL', async () => {
    const stats = await api(`/api/channels/ch-1/case-stats?${VIEW}`);
    const { context, page, problems } = await open(VIEW, ['caseStats:download']);
    expect(await figure(page, 'cases')).toBe(count(stats.summary.cases));
    for (const k of ['inProgress', 'completed', 'inbound', 'outbound', 'replied', 'missedCases', 'missedCalls', 'snoozedCases']) expect(await figure(page, k), k).toBe(count(stats.summary[k]));
    // Durations as people read them, never bare seconds.
    expect(await figure(page, 'waitingTime')).toMatch(/^(\d+(일|시간|분|초) ?){1,2}$|^–$/);
    expect(await page.locator('#as-of').textContent()).toMatch(/^기준 시각 /);
    expect(await page.locator('#chart-cases canvas').count()).toBe(1);
    expect(await page.locator('#chart-times canvas').count()).toBe(1);
    const team = stats.breakdowns.team[0];
    expect(await page.locator('#breakdown-team tbody tr').first().locator('td').first().textContent()).toBe(team.name ?? '(없음)');
    expect(await page.locator('#breakdown-team tbody tr').count()).toBe(Math.min(20, stats.breakdowns.team.length));

    // The case list: the API's first page, each row linking to its chat in a new tab.
    const cases = await api(`/api/channels/ch-1/cases?${RANGE}&limit=50`);
    const links = page.locator('#case-list tbody a');
    await expect.poll(() => links.count()).toBe(cases.items.length);
    expect(await links.first().getAttribute('href')).toBe(cases.items[0].userChatUrl);
    expect(await links.first().getAttribute('target')).toBe('_blank');
    expect(await links.first().getAttribute('rel')).toBe('noopener');

    // A team filter narrows the figures to the API's for that filter, and lands in the URL.
    const teamId = stats.breakdowns.team.find((t: Json) => t.id !== null).id;
    const narrowed = await api(`/api/channels/ch-1/case-stats?${VIEW}&teamIds=${teamId}`);
    expect(narrowed.summary.cases).toBeLessThan(stats.summary.cases);
    await page.locator('#teamIds').fill(teamId);
    await page.locator('#teamIds').dispatchEvent('change');
    await expect.poll(() => figure(page, 'cases')).toBe(count(narrowed.summary.cases));
    expect(new URL(page.url()).searchParams.getAll('teamIds')).toEqual([teamId]);
    expect(new URL(page.url()).searchParams.get('from')).toBe('2025-06-26');

    // Reload: the same view, the same figures.
    await page.reload();
    await expect.poll(() => figure(page, 'cases')).toBe(count(narrowed.summary.cases));
    expect(await page.locator('#teamIds').inputValue()).toBe(teamId);

    // The download says the count of this view before it is requested, and the job carries the view's filters.
    expect(await page.locator('#open-download').isVisible()).toBe(true);
    await page.locator('#open-download').click();
    await expect.poll(() => page.locator('#download-count').textContent()).toBe(`이 조건의 파일에는 케이스 ${count(narrowed.summary.cases)}건이 담겨요.`);
    await page.locator('#password').fill('abcd1234');
    await page.locator('#passwordConfirm').fill('abcd1234');
    await page.locator('#reason').fill('대시보드 확인');
    await page.locator('#submit').click();
    await expect.poll(async () => (await api('/api/channels/ch-1/case-exports', ['caseStats:download'])).exports.length).toBe(1);
    const [job] = (await api('/api/channels/ch-1/case-exports', ['caseStats:download'])).exports;
    expect(job.filters.teamIds).toEqual([teamId]);
    expect([job.from, job.to, job.timezone]).toEqual(['2025-06-26', '2025-12-26', 'Asia/Seoul']);
    await expect.poll(async () => (await api(`/api/channels/ch-1/case-exports/${job.id}`, ['caseStats:download'])).status, { timeout: 30_000 }).toBe('succeeded');
    expect((await api(`/api/channels/ch-1/case-exports/${job.id}`, ['caseStats:download'])).totalRows).toBe(narrowed.summary.cases);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('shows a view-only member the figures without the download button or form', async () => {
    const { context, page, problems } = await open(VIEW, ['caseStats:view']);
    expect(await page.locator('#open-download').isVisible()).toBe(false);
    expect(await page.locator('#submit').isVisible()).toBe(false);
    expect(await page.locator('#password').isVisible()).toBe(false);
    expect(await page.locator('#denied').isVisible()).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('fits at 390 px and 1440 px in Korean and English (screenshots)', async () => {
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    for (const [width, height] of [[1440, 900], [390, 844]]) {
      for (const locale of ['ko', 'en']) {
        const { context, page } = await open(VIEW, ['caseStats:download'], width, height);
        if (locale === 'en') {
          await page.locator('#lang').click();
          await expect.poll(() => page.locator('h1').textContent()).toBe('Case statistics');
        }
        await page.waitForTimeout(300);
        // Nothing wider than the screen.
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
        await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts', `dashboard-${width}-${locale}.png`), fullPage: width === 1440 });
        await context.close();
      }
    }
  }, 90_000);
});
