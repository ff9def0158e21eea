import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { ExportJobEntity, createDataSource, migrate } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import { REPO_ROOT, SCENARIOS_FILE, TestDatabase, createTestDatabase, readEncryptedXlsx, sheetObjects } from '@casestats/testing';
import { ExportServer, startExportServer } from '@casestats/export-app';
import { signMemberToken } from '@casestats/export-app';

const SECRET = 'page-secret-0123456789abcdef';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ZONE = 'Asia/Seoul';

/** Chromium's ko-KR date and time in Seoul (UTC+9, no daylight saving), written out: Node may lack the Korean locale data. */
function seoulKo(date: Date): string {
  const s = new Date(date.getTime() + 9 * 3600_000);
  const h = s.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${s.getUTCFullYear()}. ${s.getUTCMonth() + 1}. ${s.getUTCDate()}. ${h < 12 ? '오전' : '오후'} ${h % 12 || 12}:${pad(s.getUTCMinutes())}:${pad(s.getUTCSeconds())}`;
}

const tokenFor = (permissions: string[], nowSeconds = Math.floor(Date.now() / 1000), expiresIn = '1h', memberId = 'm-7', name = '운영팀 박') =>
  signMemberToken({ memberId, name, channelId: 'ch-1', permissions, expiresIn }, SECRET, nowSeconds);

/** The wall time of an instant in a zone, by Node's own ICU: the date the page must call today, and the file name's stamp. */
function wallTime(date: Date, zone: string) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(date);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return { day: `${p.year}-${p.month}-${p.day}`, stamp: `${p.year}${p.month}${p.day}-${p.hour}${p.minute}${p.second}` };
}

/** The policy the export app is to send (issue 22 item 12), added here when the server does not send one yet: the page must run under it. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface ListedExport { id: string; createdAt: string; fileName: string; timezone: string; reason: string }
async function listExports(url: string, token: string): Promise<ListedExport[]> {
  const res = await fetch(`${url}/api/channels/ch-1/case-exports`, { headers: { Authorization: `Bearer ${token}` } });
  return ((await res.json()) as { exports: ListedExport[] }).exports;
}

/** How many lines an element's text takes: one letter a line in a squeezed button is many. */
const textLines = (page: Page, selector: string) =>
  page.evaluate<number>(`(() => {
    const range = document.createRange();
    range.selectNodeContents(document.querySelector(${JSON.stringify(selector)}));
    return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
  })()`);

describe('the export page in real headless Chromium', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let server: ExportServer;
  /** The same database with a row cap of 3 and files kept for 3 seconds. */
  let small: ExportServer;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('cs_page');
    dir = mkdtempSync(join(tmpdir(), 'casestats-page-'));
    ds = createDataSource(db.url);
    await ds.initialize();
    await migrate(ds);
    await projectNdjsonFile(ds, 'proj_1', SCENARIOS_FILE);
    server = await startExportServer(loadConfig({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: dir }), ds, () => undefined, 0);
    small = await startExportServer(
      loadConfig({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: join(dir, 'small'), EXPORT_MAX_ROWS: '3', EXPORT_FILE_TTL_SECONDS: '3' }),
      ds,
      () => undefined,
      0,
    );
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await small?.close();
    await server?.close();
    await ds?.destroy();
    await db?.drop();
  });

  /** A page signed in with `token`, and every request it sends to the export API. */
  async function openPage(
    url: string,
    token: string,
    width = 1100,
  ): Promise<{ context: BrowserContext; page: Page; posts: Record<string, unknown>[]; apiCalls: string[]; problems: string[] }> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width, height: 1400 }, timezoneId: ZONE, locale: 'ko-KR' });
    const page = await newPage(context);
    const posts: Record<string, unknown>[] = [];
    const apiCalls: string[] = [];
    page.on('request', (r) => {
      if (!r.url().includes('/api/channels/')) return;
      apiCalls.push(`${r.method()} ${new URL(r.url()).pathname}`);
      if (r.method() === 'POST') posts.push(r.postDataJSON());
    });
    await page.goto(url);
    await page.locator('#token').fill(token);
    await page.locator('#signin-button').click();
    await expect.poll(() => page.locator('#who').textContent()).toContain('운영팀 박 · ch-1');
    return { context, page, posts, apiCalls, problems: (page as PageWithProblems).problems };
  }

  type PageWithProblems = Page & { problems: string[] };
  /**
   * A page whose document carries the app's CSP (the server's own when it sends one), and which
   * records what would break it: policy violations, script errors and 404s.
   */
  async function newPage(context: BrowserContext): Promise<PageWithProblems> {
    await context.route((u) => u.pathname === '/' || u.pathname === '/index.html', async (route) => {
      const response = await route.fetch();
      const headers = response.headers();
      headers['content-security-policy'] ??= CSP;
      await route.fulfill({ response, headers });
    });
    await context.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))",
    );
    const page = (await context.newPage()) as PageWithProblems;
    page.problems = [];
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push(m.text()); });
    page.on('pageerror', (e) => page.problems.push(e.message));
    page.on('response', (r) => { if (r.status() === 404) page.problems.push(`404 ${r.url()}`); });
    return page;
  }

  /** The range on the page, then the download dialog (다운로드 opens it) and its fields. */
  async function fillForm(page: Page, from: string, to: string, password: string, confirm = password) {
    await page.locator('#from').fill(from);
    await page.locator('#from').dispatchEvent('change');
    await page.locator('#to').fill(to);
    await page.locator('#to').dispatchEvent('change');
    await openDialog(page);
    await page.locator('#password').fill(password);
    await page.locator('#passwordConfirm').fill(confirm);
    await page.locator('#reason').fill('페이지 테스트');
  }

  /** Chooses a time zone as a person does: opens the list, types in its search, clicks the zone among the matches. */
  async function pickZone(page: Page, zone: string) {
    await page.locator('#timezone-button').click();
    await page.keyboard.type(zone);
    await page.getByRole('radio', { name: new RegExp(`^${zone} \\(UTC[+-]`) }).click();
    expect(await page.locator('#timezone-button').getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('#timezone-text').textContent()).toMatch(new RegExp(`^${zone} \\(UTC`));
  }

  async function openDialog(page: Page) {
    await page.locator('#open-download').click();
    await expect.poll(() => page.locator('#download-dialog').isVisible()).toBe(true);
  }
  async function closeDialog(page: Page) {
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('#download-dialog').isVisible()).toBe(false);
  }

  // Run in the page (strings: this project's TypeScript has no DOM library).
  const focused = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id');
  const storage = (page: Page) => page.evaluate<string>('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })');

  it('signs in, shows an inline error, runs the export to 100 %, and downloads a file that decrypts', async () => {
    const { context, page, problems } = await openPage(server.url, await tokenFor(['caseStats:download']));

    // The end date's limit follows the start date: six months, clamped to the month's end.
    await page.locator('#from').fill('2025-08-31');
    await page.locator('#from').dispatchEvent('change');
    expect(await page.locator('#to').getAttribute('max')).toBe('2026-02-28');

    await fillForm(page, '2025-06-26', '2025-12-26', 'not ok!');
    await page.locator('#submit').click();
    const passwordError = page.locator('[data-error-for="password"]');
    await expect.poll(() => passwordError.textContent()).toMatch(/영문과 숫자/);
    expect(await page.locator('#password').getAttribute('aria-invalid')).toBe('true');
    expect(await focused(page)).toBe('password');
    // The hint says what to do with a lost password.
    expect(await page.locator('#password-hint').textContent()).toMatch(/새 비밀번호로 다운로드를 다시 요청/);

    // A rule only the server knows lands next to its field, in Korean: an unknown time zone, which the
    // list never offers but a link can carry. The zone is the view's, on the page: the dialog closes to show it there.
    await closeDialog(page);
    await page.goto(`${server.url}/?from=2025-06-26&to=2025-12-26&timezone=Mars%2FOlympus`);
    await expect.poll(() => page.locator('#timezone-text').textContent()).toBe('Mars/Olympus');
    await openDialog(page);
    await page.locator('#password').fill('Secret42');
    await page.locator('#passwordConfirm').fill('Secret42');
    await page.locator('#reason').fill('페이지 테스트');
    await page.locator('#submit').click();
    const zoneError = page.locator('[data-error-for="timezone"]');
    await expect.poll(() => zoneError.textContent()).toBe('‘Mars/Olympus’은(는) 알 수 없는 시간대예요. 시간대 목록에서 다시 고르세요.');
    expect(await zoneError.getAttribute('role')).toBe('alert');
    expect(await page.locator('#timezone').getAttribute('aria-invalid')).toBe('true');
    expect(await focused(page)).toBe('timezone-button');
    expect(await page.locator('#download-dialog').isVisible()).toBe(false);

    await pickZone(page, 'Asia/Seoul');
    await openDialog(page);
    expect(await page.locator('#password').inputValue()).toBe('Secret42'); // kept for the corrected request
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('#progress-text').textContent(), { timeout: 30_000 }).toMatch(/^완료 · 7 \/ 7 행 · 100%$/);
    expect(await page.locator('#bar').getAttribute('aria-valuenow')).toBe('100');
    expect(await page.locator('#progress-text').getAttribute('aria-live')).toBe('polite');
    // Both password fields are emptied, and the password is kept nowhere in the browser.
    expect(await page.locator('#password').inputValue()).toBe('');
    expect(await page.locator('#passwordConfirm').inputValue()).toBe('');
    expect(await storage(page)).not.toContain('Secret42');

    // The file button in the progress box, with the deletion time the API gives, in local time.
    const progressButton = page.locator('#progress-box button.download');
    await expect.poll(() => progressButton.isVisible()).toBe(true);
    expect(await progressButton.textContent()).toBe('파일 받기');
    const { exports } = (await (await fetch(`${server.url}/api/channels/ch-1/case-exports`, { headers: { Authorization: `Bearer ${await tokenFor(['caseStats:download'])}` } })).json()) as { exports: { expiresAt: string; createdAt: string; fileName: string }[] };
    const expiresAt = new Date(exports[0].expiresAt);
    expect(await page.locator('#progress-expiry time').getAttribute('datetime')).toBe(expiresAt.toISOString());
    expect(await page.locator('#progress-expiry').textContent()).toBe(`${seoulKo(expiresAt)}에 삭제돼요.`);

    const button = page.locator('#recent button.download').first();
    await expect.poll(() => button.count()).toBe(1);

    // The server's name with the request's time in the export's zone: two exports of one range are two files.
    const stamp = wallTime(new Date(exports[0].createdAt), ZONE).stamp;
    const [download] = await Promise.all([page.waitForEvent('download'), progressButton.click()]);
    expect(download.suggestedFilename()).toBe(`case-stats_ch-1_2025-06-26_2025-12-26_${stamp}.xlsx`);
    // One definition of the name: the server's, as its Content-Disposition and the job give it.
    expect(download.suggestedFilename()).toBe(exports[0].fileName);
    const saved = join(dir, 'downloaded.xlsx');
    await download.saveAs(saved);
    const book = await readEncryptedXlsx(saved, 'Secret42');
    expect(sheetObjects(book, 'Case data')).toHaveLength(7);
    // The file's own words are the page's language, Korean here: Export info's labels and the field guide's name.
    expect(sheetObjects(book, 'Export info').map((r) => Object.values(r))).toContainEqual(['다운로드 사유', '페이지 테스트']);
    expect(Object.keys(book.sheets)).toEqual(['Case data', 'User data', 'Export info', '필드 설명']);

    const [again] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(again.suggestedFilename()).toBe(`case-stats_ch-1_2025-06-26_2025-12-26_${stamp}.xlsx`);

    // The page in English, too.
    await closeDialog(page);
    await page.locator('#lang').click();
    expect(await page.locator('h1').textContent()).toBe('Case statistics');
    await page.locator('#lang').click();
    // Under the app's CSP: no script error, no blocked script or style, no missing file.
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('refuses a mismatched password confirmation before sending anything', async () => {
    const { context, page, apiCalls } = await openPage(server.url, await tokenFor(['caseStats:download']));
    await expect.poll(() => apiCalls.length).toBeGreaterThan(0); // the recent list
    await fillForm(page, '2025-07-01', '2025-07-31', 'Secret42', 'Secret43');
    await page.locator('#submit').click();
    const error = page.locator('[data-error-for="passwordConfirm"]');
    await expect.poll(() => error.textContent()).toBe('비밀번호가 일치하지 않아요. 같은 비밀번호를 한 번 더 입력하세요.');
    expect(await page.locator('#passwordConfirm').getAttribute('aria-invalid')).toBe('true');
    expect(await focused(page)).toBe('passwordConfirm');
    await page.waitForTimeout(300);
    expect(apiCalls.filter((c) => c.startsWith('POST'))).toEqual([]);
    // Nothing but new-password autocompletion on either field.
    expect(await page.locator('input[type="password"]').evaluateAll((els) => els.map((e) => e.getAttribute('autocomplete')))).toEqual(['new-password', 'new-password']);
    await context.close();
  });

  it('shows a member without a case-stats permission a message instead of the form, and an expired token an expiry message', async () => {
    // caseStats:view now opens the dashboard without the download (dashboard-page.e2e.spec.ts); a token with neither is refused.
    const { context, page, apiCalls } = await openPage(server.url, await tokenFor(['caseStats:audit']));
    await expect.poll(() => page.locator('#denied').isVisible()).toBe(true);
    expect(await page.locator('#denied [role="alert"]').textContent()).toBe('다운로드 권한이 없어요. 관리자에게 권한을 요청하세요.');
    expect(await page.locator('#export-form').isVisible()).toBe(false);
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await page.locator('#signout').isVisible()).toBe(true);
    await page.waitForTimeout(300);
    expect(apiCalls).toEqual([]);

    await page.locator('#signout').click();
    const past = Math.floor(Date.now() / 1000) - 7200;
    await page.locator('#token').fill(await tokenFor(['caseStats:download'], past, '1h'));
    await page.locator('#signin-button').click();
    await expect.poll(() => page.locator('#token-error').textContent()).toBe('로그인이 만료됐어요. 새 토큰으로 다시 로그인하세요.');
    expect(await page.locator('#export-form').isVisible()).toBe(false);
    expect(apiCalls).toEqual([]);
    await context.close();
  });

  it('says the row cap in Korean with the numbers, labels the filters in Korean while sending their codes, and drops an expired file', async () => {
    const { context, page, posts } = await openPage(small.url, await tokenFor(['caseStats:download']));

    // 7 cases in the range, a cap of 3: the dialog says both numbers and refuses before any request.
    await fillForm(page, '2025-06-26', '2025-12-26', 'Secret42');
    const countLine = page.locator('#download-count');
    await expect.poll(() => countLine.textContent()).toBe('조건에 맞는 케이스 7건 — 최대 3건까지 받을 수 있어요. 기간을 줄이거나 필터를 추가하세요.');
    expect(await page.locator('#submit').isDisabled()).toBe(true);
    expect(posts).toHaveLength(0);
    await closeDialog(page);

    // The filters in the guide's words; the codes are what is sent. Media are picked from the range's values.
    expect(await page.locator('#mediumNames-label').textContent()).toBe('연동 서비스');
    await page.locator('#mediumNames-button').click();
    await expect.poll(() => page.locator('#mediumNames-list label').count()).toBeGreaterThan(0);
    const mediumNames = ['채널톡 메시지', '전화', '이메일', '네이버톡톡', '인스타그램 메신저', '라인', '카카오'];
    for (const name of await page.locator('#mediumNames-list label').allTextContents()) expect(mediumNames).toContain(name);
    expect(await page.locator('#directions label').allTextContents()).toEqual([' 수신', ' 발신']);
    expect(await page.locator('#caseStates label').allTextContents()).toEqual([' 기록중', ' 완료']);
    expect(await page.locator('#userChatStates label').allTextContents()).toEqual([' 대기열', ' 진행중', ' 부재중', ' 보류됨', ' 종료됨']);
    expect(await page.locator('[data-error-for^="filters."]').evaluateAll((els) => els.map((e) => e.getAttribute('role')))).toEqual(Array(7).fill('alert'));
    await page.getByRole('checkbox', { name: '카카오', exact: true }).check();
    await page.keyboard.press('Escape');
    await page.getByLabel('수신', { exact: true }).check();
    await page.getByLabel('종료됨', { exact: true }).check();
    await openDialog(page);
    await expect.poll(() => countLine.textContent()).toMatch(/^이 조건의 파일에는 케이스 [0-3]건이 담겨요\.$|^이 조건에 맞는 케이스가 없어요/);
    expect(await page.locator('#download-view dd').last().textContent()).toBe('연동 서비스: 카카오 · 시작 방식: 수신 · 상담 상태: 종료됨');
    expect(await page.locator('#password').inputValue()).toBe('Secret42'); // kept for the corrected request
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('#progress-text').textContent(), { timeout: 30_000 }).toMatch(/^완료/);
    expect(posts).toHaveLength(1);
    expect(posts[0].filters).toMatchObject({ mediumNames: ['appKakao'], directions: ['INBOUND'], userChatStates: ['closed'], caseStates: [] });

    // The file button, until the file's time is up (3 s here); then neither the box nor the list offers it.
    const progressButton = page.locator('#progress-box button.download');
    await expect.poll(() => progressButton.isVisible()).toBe(true);
    expect(await page.locator('#progress-expiry').textContent()).toMatch(/에 삭제돼요\.$/);
    // The newest row is this export (the channel's list holds the other tests' exports too).
    const row = page.locator('#recent tbody tr').first();
    await expect.poll(() => row.locator('button.download').count()).toBe(1);
    await expect.poll(() => row.locator('button.download').count(), { timeout: 10_000 }).toBe(0);
    expect(await row.locator('td.status-expired').textContent()).toBe('만료');
    expect(await progressButton.isVisible()).toBe(false);
    expect(await page.locator('#progress-text').textContent()).toContain('파일이 만료되어 삭제됐어요');
    await context.close();
  }, 60_000);
  it('forgets the finished job the moment a new request leaves, and lists each export so that two of one range are told apart', async () => {
    const { context, page, posts, problems } = await openPage(server.url, await tokenFor(['caseStats:download']));
    await page.getByLabel('수신', { exact: true }).check();
    await fillForm(page, '2025-07-01', '2025-07-31', 'Secret42');
    await page.locator('#reason').fill('월간 점검 A');
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('#progress-text').textContent(), { timeout: 30_000 }).toMatch(/^완료/);
    expect(await page.getByRole('progressbar', { name: '파일 만들기 진행률' }).getAttribute('aria-valuetext')).toBe('완료 · 100%');
    await expect.poll(() => page.locator('#progress-download').isVisible()).toBe(true);

    // The next request is held on its way for a while: meanwhile nothing may offer the last file.
    let answered = false;
    await page.route('**/case-exports', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
      answered = true;
    });
    await closeDialog(page);
    await page.getByLabel('수신', { exact: true }).uncheck();
    await openDialog(page);
    await page.locator('#password').fill('Secret42');
    await page.locator('#passwordConfirm').fill('Secret42');
    await page.locator('#reason').fill('월간 점검 B');
    await page.locator('#submit').click();
    expect(await page.locator('#progress-download').isVisible()).toBe(false);
    expect(await page.locator('#progress-text').textContent()).toBe('요청을 보내는 중…');
    expect(await page.locator('#bar').getAttribute('aria-valuenow')).toBe('0');
    expect(answered).toBe(false);
    expect(posts).toHaveLength(2);
    await expect.poll(() => page.locator('#progress-text').textContent(), { timeout: 30_000 }).toMatch(/^완료/);

    // Both rows of the same range: when, who, filters, reason, rows, size and deletion time.
    const [b, a] = (await listExports(server.url, await tokenFor(['caseStats:download']))).filter((e) => e.reason.startsWith('월간 점검'));
    const rowA = page.locator(`#recent tbody tr[data-id="${a.id}"]`);
    const rowB = page.locator(`#recent tbody tr[data-id="${b.id}"]`);
    await expect.poll(() => rowB.locator('button.download').count()).toBe(1);
    for (const [row, job, filters] of [[rowA, a, '시작 방식: 수신'], [rowB, b, '필터 없음']] as const) {
      expect(await row.locator('td.requested time').getAttribute('datetime')).toBe(new Date(job.createdAt).toISOString());
      expect(await row.locator('td.requested time').textContent()).toBe(seoulKo(new Date(job.createdAt)));
      expect(await row.locator('td.requested .sub').textContent()).toBe('운영팀 박');
      expect(await row.locator('td.period').innerText()).toBe(`2025-07-01 ~ 2025-07-31\nAsia/Seoul · ${filters}`);
      expect(await row.locator('td.reason').textContent()).toBe(job.reason);
      expect(await row.locator('td.size').textContent()).toMatch(/^\d+(\.\d)? KB$/);
      expect(await row.locator('td.file .expiry').textContent()).toMatch(/ 삭제$/);
    }
    expect(await rowA.locator('td.rows').textContent()).toMatch(/^\d+$/);
    expect(await rowA.locator('td.requested time').textContent()).not.toBe(await rowB.locator('td.requested time').textContent());

    // Their files are saved under two names: each carries its request's time.
    const names: string[] = [];
    for (const [row, job] of [[rowA, a], [rowB, b]] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), row.locator('button.download').click()]);
      names.push(download.suggestedFilename());
      expect(download.suggestedFilename()).toBe(`case-stats_ch-1_2025-07-01_2025-07-31_${wallTime(new Date(job.createdAt), ZONE).stamp}.xlsx`);
    }
    expect(new Set(names).size).toBe(2);
    // A screenshot of the page for review (the README shows docs/dashboard.png).
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts', 'export-page.png'), fullPage: true });

    // A failed export of this member, as the worker records one (its reason is English text, without a code).
    await ds.getRepository(ExportJobEntity).insert({
      id: randomUUID(), channelId: 'ch-1', memberId: 'm-7', memberName: '운영팀 박', fromDate: '2025-07-01', toDate: '2025-12-31', timezone: ZONE,
      filters: {}, reason: '분기 점검', status: 'failed', rowsWritten: 2000, totalRows: 1_234_567, error: 'ENOSPC: no space left on device, write',
      fileName: 'case-stats_ch-1_2025-07-01_2025-12-31.xlsx', attempts: 3,
    });
    await closeDialog(page);
    await page.locator('#lang').click(); // the list is fetched again in each language
    await page.locator('#lang').click();
    await openDialog(page);
    const failed = page.locator('#recent tbody tr', { hasText: '분기 점검' });
    // The reason is in the row itself, not only in a tooltip; counts carry thousands separators.
    await expect.poll(() => failed.locator('td.status').innerText()).toBe('실패\n파일을 만들지 못했어요. 다운로드를 다시 요청하세요. (ENOSPC: no space left on device, write)');
    expect(await failed.locator('td.rows').textContent()).toBe('2,000 / 1,234,567');
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('downloads a file in English from the page in English (Export info and the field guide)', async () => {
    const { context, page, problems } = await openPage(server.url, await tokenFor(['caseStats:download']));
    await page.locator('#lang').click();
    await expect.poll(() => page.evaluate<string>('document.documentElement.lang')).toBe('en');
    await fillForm(page, '2025-06-26', '2025-12-26', 'Secret42');
    const [request] = await Promise.all([page.waitForRequest((r) => r.method() === 'POST'), page.locator('#submit').click()]);
    expect(request.headers()['accept-language']).toBe('en');
    const button = page.locator('#progress-box button.download');
    await expect.poll(() => button.isVisible(), { timeout: 30_000 }).toBe(true);
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const saved = join(dir, 'downloaded-en.xlsx');
    await download.saveAs(saved);
    const book = await readEncryptedXlsx(saved, 'Secret42');
    expect(Object.keys(book.sheets)).toEqual(['Case data', 'User data', 'Export info', 'Field guide']);
    const info = sheetObjects(book, 'Export info').map((r) => Object.values(r));
    expect(info).toContainEqual(['reason', '페이지 테스트']);
    expect(info.map(([label]) => label)).not.toContain('다운로드 사유');
    // The data and its keys do not change with the language.
    expect(sheetObjects(book, 'Case data')).toHaveLength(7);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('offers no day after today in the export zone, and says so when a range holds no case', async () => {
    const { context, page, apiCalls, problems } = await openPage(server.url, await tokenFor(['caseStats:download']));
    const today = wallTime(new Date(), ZONE).day;
    // Without a start date the hint names the whole span and no placeholder (the dashboard fills one in: cleared here).
    await page.locator('#from').fill('');
    await page.locator('#from').dispatchEvent('change');
    const hint = page.locator('#range-hint');
    await expect.poll(() => hint.textContent()).toContain('한 번에');
    expect(await hint.textContent()).toBe(`조회 가능: 2025-06-26 ~ ${today}(오늘). 한 번에 최대 6개월이에요.`);
    expect(await page.locator('#from').getAttribute('max')).toBe(today);
    expect(await page.locator('#to').getAttribute('max')).toBe(today);

    // A start date a month ago: six months on would be in the future, so today is the last day offered.
    const monthAgo = new Date(Date.parse(`${today}T00:00:00Z`) - 30 * 86_400_000).toISOString().slice(0, 10);
    await page.locator('#from').fill(monthAgo);
    await page.locator('#from').dispatchEvent('change');
    expect(await page.locator('#to').getAttribute('max')).toBe(today);
    expect(await hint.textContent()).toBe(`조회 가능: 2025-06-26 ~ ${today}(오늘). 이 시작일이면 종료일은 ${today}까지 고를 수 있어요.`);

    // Today is the export zone's: fourteen hours ahead of UTC and eleven behind are never the same day.
    for (const zone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      await pickZone(page, zone);
      expect(await page.locator('#to').getAttribute('max')).toBe(wallTime(new Date(), zone).day);
    }
    await pickZone(page, ZONE);

    // A future end date typed by hand is refused before anything is sent: 다운로드 does not open the dialog.
    const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    await page.locator('#from').fill(monthAgo);
    await page.locator('#to').fill(tomorrow);
    await page.locator('#open-download').click();
    await expect.poll(() => page.locator('[data-error-for="to"]').textContent()).toBe(`종료일은 오늘(${today})까지 고를 수 있어요.`);
    expect(await focused(page)).toBe('to');
    expect(await page.locator('#download-dialog').isVisible()).toBe(false);
    expect(apiCalls.filter((c) => c.startsWith('POST'))).toEqual([]);

    // No case in the range: the dialog says so before the request, and the request's own count again.
    await fillForm(page, '2025-06-26', '2025-06-30', 'Secret42');
    await expect.poll(() => page.locator('#download-count').textContent()).toBe('이 조건에 맞는 케이스가 없어요 (0건). 파일에는 머리글만 담겨요.');
    const [request] = await Promise.all([page.waitForRequest((r) => r.method() === 'POST'), page.locator('#submit').click()]);
    // The page's language goes with the request, for the file's own words.
    expect(request.headers()['accept-language']).toBe('ko');
    const notice = page.locator('#progress-notice');
    await expect.poll(() => notice.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await notice.textContent()).toBe('이 기간과 필터에 맞는 케이스가 없어요. 파일에는 머리글만 들어 있어요. 기간이나 필터를 확인하세요.');
    await expect.poll(() => page.locator('#progress-text').textContent(), { timeout: 30_000 }).toBe('완료 · 0 / 0 행 · 100%');
    expect(await notice.isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('takes a new #token link in the same tab without a reload, names its controls, and speaks in the date boxes\' format', async () => {
    const { context, page, problems } = await openPage(server.url, await tokenFor(['caseStats:download']));
    await page.evaluate('window.sameDocument = true');
    const other = await tokenFor(['caseStats:download'], undefined, '1h', 'm-8', '운영팀 최');
    await page.evaluate(`location.hash = '#token=${other}'`);
    await expect.poll(() => page.locator('#who').textContent()).toBe('운영팀 최 · ch-1');
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(await page.evaluate('location.hash')).toBe('');
    expect(await page.evaluate('sessionStorage.getItem("casestats.token")')).toBe(other);

    // The language button says what it does; the page's icon is served.
    expect(await page.getByRole('button', { name: 'Switch to English' }).textContent()).toBe('English');
    await page.getByRole('button', { name: 'Switch to English' }).click();
    expect(await page.getByRole('button', { name: '한국어로 보기' }).textContent()).toBe('한국어');
    await page.getByRole('button', { name: '한국어로 보기' }).click();
    const icon = await fetch(`${server.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect((await icon.arrayBuffer()).byteLength).toBeGreaterThan(0);

    // Empty fields are asked for, not lectured on the rule (the dashboard's default start date cleared
    // first): the start date on the page, before the dialog opens; the file's fields in the dialog.
    await page.locator('#from').fill('');
    await page.locator('#open-download').click();
    await expect.poll(() => page.locator('[data-error-for="from"]').textContent()).toBe('시작일을 입력하세요.');
    expect(await page.locator('#download-dialog').isVisible()).toBe(false);
    await page.locator('#from').fill('2025-07-01');
    await page.locator('#to').fill('2025-07-31');
    await openDialog(page);
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('[data-error-for="password"]').textContent()).toBe('파일 비밀번호를 입력하세요.');
    expect(await page.locator('[data-error-for="reason"]').textContent()).toBe('다운로드 사유를 입력하세요.');
    await page.locator('#reason').fill('\u200b ');
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('[data-error-for="reason"]').textContent()).toBe('다운로드 사유를 입력하세요.');
    await closeDialog(page);

    // Dates are shown as YYYY-MM-DD in the boxes and in every message; other ways of typing one are rewritten so.
    await page.locator('#from').fill('2025. 8. 31.');
    await page.locator('#from').dispatchEvent('change');
    expect(await page.locator('#from').inputValue()).toBe('2025-08-31');
    // The calendar's choice lands in the box as the box writes dates.
    await page.locator('button.pick[data-for="to"]').click();
    await page.locator('input.picker[data-for="to"]').fill('2026-03-01', { force: true });
    expect(await page.locator('#to').inputValue()).toBe('2026-03-01');
    await page.locator('#open-download').click();
    await expect.poll(() => page.locator('[data-error-for="to"]').textContent()).toBe('최대 6개월: 종료일은 2026-02-28까지 가능해요.');
    await page.locator('#to').fill('2026-02-30');
    await page.locator('#open-download').click();
    await expect.poll(() => page.locator('[data-error-for="to"]').textContent()).toBe('날짜를 YYYY-MM-DD 형식으로 입력하세요 (예: 2025-07-01).');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('counts the reason in characters, as the server does: 500 emoji are sent, 501 are refused with their count', async () => {
    const { context, page, posts, problems } = await openPage(server.url, await tokenFor(['caseStats:download']));
    await fillForm(page, '2025-07-01', '2025-07-31', 'Secret42');
    const emoji = '\u{1f600}';
    // A textarea's maxlength counts UTF-16 units: it stopped at 250 emoji, and the server takes 500.
    await page.locator('#reason').fill(emoji.repeat(501));
    expect([...(await page.locator('#reason').inputValue())].length).toBe(501);
    expect(await page.locator('#reason-count').textContent()).toBe('501 / 500자');
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('[data-error-for="reason"]').textContent()).toBe('다운로드 사유는 500자 이내로 입력하세요. 지금 501자예요.');
    expect(posts).toEqual([]);

    await page.locator('#reason').fill(emoji.repeat(500));
    expect(await page.locator('#reason-count').textContent()).toBe('500 / 500자');
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/case-exports'));
    await page.locator('#submit').click();
    expect((await answer).status()).toBe(202);
    expect(posts.map((b) => [...String(b.reason)].length)).toEqual([500]);
    await expect.poll(() => page.locator('#progress-text').textContent(), { timeout: 30_000 }).toMatch(/^완료/);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('styles the sign-in form, and at 390 px keeps every button on one line and the page within the screen', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ko-KR', timezoneId: ZONE });
    const page = await newPage(context);
    await page.goto(server.url);
    await expect.poll(() => page.locator('#signin').isVisible()).toBe(true);
    const noBox = { x: 0, y: 0, width: 0, height: 0 };
    const label = (await page.locator('label[for="token"]').boundingBox()) ?? noBox;
    const box = (await page.locator('#token').boundingBox()) ?? noBox;
    expect(label.y + label.height).toBeLessThanOrEqual(box.y); // the label above its box, not beside it
    expect(box.width).toBeGreaterThanOrEqual(400);
    expect(await page.evaluate<string>("getComputedStyle(document.getElementById('signin-button')).backgroundColor")).toBe('rgb(10, 102, 194)');
    expect(page.problems).toEqual([]);
    await context.close();

    // A finished export, so that the list has a file button to measure.
    const auth = { Authorization: `Bearer ${await tokenFor(['caseStats:download'])}`, 'Content-Type': 'application/json' };
    const body = { from: '2025-07-01', to: '2025-07-31', password: 'Secret42', reason: '좁은 화면' };
    const { id } = (await (await fetch(`${server.url}/api/channels/ch-1/case-exports`, { method: 'POST', headers: auth, body: JSON.stringify(body) })).json()) as { id: string };
    await expect
      .poll(async () => ((await (await fetch(`${server.url}/api/channels/ch-1/case-exports/${id}`, { headers: auth })).json()) as { status: string }).status, { timeout: 30_000 })
      .toBe('succeeded');

    for (const lang of ['ko', 'en']) {
      const { context: narrow, page: small, problems } = await openPage(server.url, await tokenFor(['caseStats:download']), 390);
      if (lang === 'en') await small.locator('#lang').click();
      await expect.poll(() => small.locator('#recent button.download').count()).toBeGreaterThan(0);
      await openDialog(small);
      for (const selector of ['#signout', '#lang', '#recent button.download', '#submit', '#recent td.status > div']) {
        expect([lang, selector, await textLines(small, selector)]).toEqual([lang, selector, 1]);
      }
      expect(await small.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      expect(problems).toEqual([]);
      await narrow.close();
    }
  }, 60_000);
});
