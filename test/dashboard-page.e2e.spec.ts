import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { parseEvent } from '@casestats/events';
import { applyBatch, createDataSource, migrate } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import { REPO_ROOT, SCENARIOS_FILE, TestDatabase, createTestDatabase, readEncryptedXlsx, sheetObjects } from '@casestats/testing';
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
  /** The same database with a row cap of 3 (EXPORT_MAX_ROWS): the dialog's refusal without a million cases. */
  let small: ExportServer;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('cs_dashpage');
    ds = createDataSource(db.url);
    await ds.initialize();
    await migrate(ds);
    await projectNdjsonFile(ds, 'proj_1', SCENARIOS_FILE);
    dir = mkdtempSync(join(tmpdir(), 'casestats-dashpage-'));
    server = await startExportServer(loadConfig({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: dir }), ds, () => undefined, 0);
    small = await startExportServer(loadConfig({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: join(dir, 'small'), EXPORT_MAX_ROWS: '3' }), ds, () => undefined, 0);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await small?.close();
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
  async function open(search: string, permissions: string[], width = 1440, height = 900, url = server.url): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height }, timezoneId: 'Asia/Seoul', locale: 'ko-KR', acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${url}/?${search}#token=${await tokenFor(permissions)}`);
    await expect.poll(() => page.locator('#fig-cases .value').textContent(), { timeout: 15_000 }).toMatch(/\d/);
    return { context, page, problems };
  }
  const figure = (page: Page, key: string) => page.locator(`#fig-${key} .value`).textContent();
  const count = (n: number) => n.toLocaleString('ko-KR');
  const focused = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id');

  /** Chooses a team by typing part of its name in the picker's search and pressing Enter, then closes it with Escape. */
  async function pickByKeyboard(page: Page, filter: string, typed: string) {
    await page.locator(`#${filter}-button`).focus();
    await page.keyboard.press('Enter');
    expect(await page.locator(`#${filter}-button`).getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.type(typed);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    expect(await page.locator(`#${filter}-button`).getAttribute('aria-expanded')).toBe('false');
    expect(await focused(page)).toBe(`${filter}-button`);
  }

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
    const top = stats.breakdowns.team[0];
    expect(await page.locator('#breakdown-team tbody tr').first().locator('td').first().textContent()).toBe(top.name ?? '(없음)');
    expect(await page.locator('#breakdown-team tbody tr').count()).toBe(Math.min(20, stats.breakdowns.team.length));

    // The case list: the API's first page, each row linking to its chat in a new tab.
    const cases = await api(`/api/channels/ch-1/cases?${RANGE}&limit=50`);
    const links = page.locator('#case-list tbody a');
    await expect.poll(() => links.count()).toBe(cases.items.length);
    expect(await links.first().getAttribute('href')).toBe(cases.items[0].userChatUrl);
    expect(await links.first().getAttribute('target')).toBe('_blank');
    expect(await links.first().getAttribute('rel')).toBe('noopener');

    // The team picker offers the range's teams by name (case-filters); a choice narrows the figures to
    // the API's for that team, and the team's id, not its name, lands in the URL.
    const filters = await api(`/api/channels/ch-1/case-filters?${RANGE}`);
    const team = filters.teams[0];
    expect(team.name).not.toBe(team.id);
    const narrowed = await api(`/api/channels/ch-1/case-stats?${VIEW}&teamIds=${team.id}`);
    expect(narrowed.summary.cases).toBeLessThan(stats.summary.cases);
    expect(await page.getByRole('button', { name: '담당팀 전체' }).count()).toBe(1);
    await pickByKeyboard(page, 'teamIds', team.name.slice(-3));
    await expect.poll(() => figure(page, 'cases')).toBe(count(narrowed.summary.cases));
    expect(await page.getByRole('button', { name: `담당팀 ${team.name}` }).count()).toBe(1);
    expect(new URL(page.url()).searchParams.getAll('teamIds')).toEqual([team.id]);
    expect(new URL(page.url()).searchParams.get('from')).toBe('2025-06-26');

    // Reload: the same view, the same figures, the choice named again.
    await page.reload();
    await expect.poll(() => figure(page, 'cases')).toBe(count(narrowed.summary.cases));
    await expect.poll(() => page.locator('#teamIds-button').textContent()).toBe(team.name);

    // 다운로드 opens a dialog that restates the view by name and says the file's count before the request.
    await page.locator('#open-download').click();
    const dialog = page.getByRole('dialog', { name: '파일 다운로드' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await page.evaluate('document.getElementById("download-dialog").matches(":modal")')).toBe(true);
    expect(await page.locator('#download-view dt').allTextContents()).toEqual(['기간', '시간대', '필터']);
    expect(await page.locator('#download-view dd').allTextContents()).toEqual(['2025-06-26 ~ 2025-12-26', 'Asia/Seoul', `담당팀: ${team.name}`]);
    await expect.poll(() => page.locator('#download-count').textContent()).toBe(`이 조건의 파일에는 케이스 ${count(narrowed.summary.cases)}건이 담겨요.`);
    expect(await focused(page)).toBe('password');
    await page.locator('#password').fill('abcd1234');
    await page.locator('#passwordConfirm').fill('abcd1234');
    await page.locator('#reason').fill('대시보드 확인');
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('#progress-text').textContent(), { timeout: 30_000 }).toBe(`완료 · ${narrowed.summary.cases} / ${narrowed.summary.cases} 행 · 100%`);
    const [job] = (await api('/api/channels/ch-1/case-exports', ['caseStats:download'])).exports;
    expect(job.filters.teamIds).toEqual([team.id]);
    expect([job.from, job.to, job.timezone]).toEqual(['2025-06-26', '2025-12-26', 'Asia/Seoul']);

    // The file: as many rows as the dialog said, every one of the chosen team.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#progress-download').click()]);
    const saved = join(dir, 'dashboard.xlsx');
    await download.saveAs(saved);
    const rows = sheetObjects(await readEncryptedXlsx(saved, 'abcd1234'), 'Case data');
    expect(rows).toHaveLength(narrowed.summary.cases);
    for (const row of rows) expect(Object.values(row)).toContain(team.name);
    // The recent list in the dialog names the team, too.
    await expect.poll(() => page.locator(`#recent tbody tr[data-id="${job.id}"] td.period`).innerText()).toContain(`담당팀: ${team.name}`);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('picks the time zone from a list searched by name or offset: a half-hour zone reaches the URL and the figures', async () => {
    const { context, page, problems } = await open(VIEW, ['caseStats:view']);
    expect(await page.getByRole('button', { name: '시간대 Asia/Seoul (UTC+9)' }).count()).toBe(1);
    // By keyboard: the offset typed in the search finds the zones half an hour off the hour, India's among them.
    await page.locator('#timezone-button').focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('searchbox', { name: '도시 이름이나 UTC+9로 검색' }).isVisible()).toBe(true);
    await page.keyboard.type('+5:30');
    const matches = await page.locator('#timezone-list label:visible').allTextContents();
    expect(matches).toContain('Asia/Kolkata (UTC+5:30)');
    expect(matches.filter((m) => !m.endsWith(' (UTC+5:30)'))).toEqual([]);
    await page.keyboard.press('Escape');
    expect(await focused(page)).toBe('timezone-button');

    // As a person: open, type the city, choose it. The figures are asked for in that zone, and are the API's.
    const kolkata = VIEW.replace('Asia%2FSeoul', 'Asia%2FKolkata');
    const stats = await api(`/api/channels/ch-1/case-stats?${kolkata}`);
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/case-stats?') && new URL(r.url()).searchParams.get('timezone') === 'Asia/Kolkata'),
      (async () => {
        await page.locator('#timezone-button').click();
        await page.keyboard.type('kolkata');
        await page.getByRole('radio', { name: 'Asia/Kolkata (UTC+5:30)' }).click();
      })(),
    ]);
    expect(new URL(request.url()).searchParams.get('from')).toBe('2025-06-26');
    expect(await page.locator('#timezone-button').getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByRole('button', { name: '시간대 Asia/Kolkata (UTC+5:30)' }).count()).toBe(1);
    await expect.poll(() => new URL(page.url()).searchParams.get('timezone')).toBe('Asia/Kolkata');
    await expect.poll(() => figure(page, 'cases')).toBe(count(stats.summary.cases));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a view-only member the figures without the download button or form', async () => {
    const { context, page, problems } = await open(VIEW, ['caseStats:view']);
    expect(await page.locator('#open-download').isVisible()).toBe(false);
    expect(await page.locator('#submit').isVisible()).toBe(false);
    expect(await page.locator('#password').isVisible()).toBe(false);
    expect(await page.locator('#denied').isVisible()).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('refuses above the row cap in the dialog, with the count and the cap, before any request', async () => {
    // EXPORT_MAX_ROWS=3 on `small`: the range holds 7 cases, as a real range can hold 1,234,567 above 1,000,000.
    const { context, page, problems } = await open(VIEW, ['caseStats:download'], 1280, 900, small.url);
    const posts: string[] = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
    const stats = await api(`/api/channels/ch-1/case-stats?${VIEW}`);
    expect(stats.summary.cases).toBeGreaterThan(3);
    await page.locator('#open-download').click();
    await expect.poll(() => page.locator('#download-count').textContent()).toBe(`조건에 맞는 케이스 ${stats.summary.cases}건 — 최대 3건까지 받을 수 있어요. 기간을 줄이거나 필터를 추가하세요.`);
    expect(await page.locator('#submit').isDisabled()).toBe(true);
    await page.locator('#password').fill('abcd1234');
    await page.locator('#passwordConfirm').fill('abcd1234');
    await page.locator('#reason').fill('한도 확인');
    await page.locator('#password').press('Enter'); // not even by the keyboard
    await page.waitForTimeout(300);
    expect(posts).toEqual([]);

    // A narrower view fits: the dialog says so, and lets the request go.
    await page.locator('#close-download').click();
    const [team] = (await api(`/api/channels/ch-1/case-filters?${RANGE}`)).teams;
    await pickByKeyboard(page, 'teamIds', team.name);
    const narrowed = await api(`/api/channels/ch-1/case-stats?${VIEW}&teamIds=${team.id}`);
    expect(narrowed.summary.cases).toBeLessThanOrEqual(3);
    await expect.poll(() => figure(page, 'cases')).toBe(count(narrowed.summary.cases));
    await page.locator('#open-download').click();
    await expect.poll(() => page.locator('#download-count').textContent()).toBe(`이 조건의 파일에는 케이스 ${count(narrowed.summary.cases)}건이 담겨요.`);
    expect(await page.locator('#submit').isDisabled()).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows new events without a reload: the figures change while the page stays open', async () => {
    const range = 'from=2025-08-01&to=2025-08-31&timezone=Asia%2FSeoul&interval=day';
    const before = await api(`/api/channels/ch-1/case-stats?${range}`);
    const { context, page, problems } = await open(range, ['caseStats:view']);
    expect(await figure(page, 'cases')).toBe(count(before.summary.cases));
    const asOf = await page.locator('#as-of').textContent();
    await page.evaluate('window.sameDocument = true');
    // Two new chats of the channel on 2025-08-10 (Seoul), projected as the projector would.
    const events = ['live-1', 'live-2'].map((chat, i) => {
      const parsed = parseEvent(JSON.stringify({ id: `${chat}-e1`, type: 'userChat.opened', version: 2, occurredAt: `2025-08-10T0${i + 1}:00:00Z`, channelId: 'ch-1', userChatId: chat, data: { assignment: 'auto' } }));
      if (!parsed.ok) throw new Error(parsed.error.reason);
      return parsed.event;
    });
    await applyBatch(ds, 'proj_1', { events });
    await expect.poll(() => figure(page, 'cases'), { timeout: 40_000, interval: 500 }).toBe(count(before.summary.cases + 2));
    expect(await figure(page, 'inProgress')).toBe(count(before.summary.inProgress + 2));
    expect(await page.locator('#as-of').textContent()).not.toBe(asOf);
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('switches to English: words, pickers and the dialog', async () => {
    const { context, page, problems } = await open(VIEW, ['caseStats:download']);
    await page.locator('#lang').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Case statistics');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('#fig-cases .label').textContent()).toBe('Cases');
    expect(await page.locator('#as-of').textContent()).toMatch(/^As of /);
    expect(await page.getByRole('button', { name: 'Teams All' }).count()).toBe(1);
    await page.locator('#mediumNames-button').click();
    expect(await page.getByRole('searchbox', { name: 'Search connected service' }).isVisible()).toBe(true);
    expect(await page.locator('#mediumNames-list label').first().locator('span').first().textContent()).toMatch(/^(In-app chat|Phone|Email|Naver TalkTalk|Instagram Messenger|LINE|Kakao)$/);
    await page.keyboard.press('Escape');
    expect(await figure(page, 'waitingTime')).toMatch(/^(\d+[dhms] ?){1,2}$|^–$/);
    await page.locator('#open-download').click();
    await expect.poll(() => page.getByRole('dialog', { name: 'File download' }).isVisible()).toBe(true);
    const stats = await api(`/api/channels/ch-1/case-stats?${VIEW}`);
    await expect.poll(() => page.locator('#download-count').textContent()).toBe(`The file of this view will hold ${stats.summary.cases.toLocaleString('en-US')} cases.`);
    expect(await page.locator('#download-view dd').allTextContents()).toEqual(['2025-06-26 ~ 2025-12-26', 'Asia/Seoul', 'No filters']);
    expect(await page.locator('#cancel-download').textContent()).toBe('Close');
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
    // docs/dashboard.png, the README's picture of the page: Korean, 1280 px wide, the whole page.
    // Retaken, when the page changes, by one command (the file's as-of time changes on each run,
    // so an ordinary run leaves it alone):
    //   UPDATE_DOCS_SCREENSHOT=1 node scripts/test.mjs test/dashboard-page.e2e.spec.ts -t screenshots
    if (process.env.UPDATE_DOCS_SCREENSHOT) {
      const { context, page } = await open(VIEW, ['caseStats:download'], 1280, 900);
      await page.waitForTimeout(300);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
      await page.screenshot({ path: join(REPO_ROOT, 'docs', 'dashboard.png'), fullPage: true });
      await context.close();
    }
  }, 90_000);
});
