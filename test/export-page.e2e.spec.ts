import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { createDataSource, migrate, projectNdjsonFile } from '@casestats/read-model';
import { REPO_ROOT, SCENARIOS_FILE, TestDatabase, createTestDatabase, readEncryptedXlsx, sheetObjects } from '@casestats/testing';
import { ExportServer, startExportServer } from '@casestats/export-api';
import { signMemberToken } from '@casestats/export-api';

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

const tokenFor = (permissions: string[], nowSeconds = Math.floor(Date.now() / 1000), expiresIn = '1h') =>
  signMemberToken({ memberId: 'm-7', name: '운영팀 박', channelId: 'ch-1', permissions, expiresIn }, SECRET, nowSeconds);

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
  async function openPage(url: string, token: string): Promise<{ context: BrowserContext; page: Page; posts: Record<string, unknown>[]; apiCalls: string[] }> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 1400 }, timezoneId: ZONE, locale: 'ko-KR' });
    const page = await context.newPage();
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
    return { context, page, posts, apiCalls };
  }

  async function fillForm(page: Page, from: string, to: string, password: string, confirm = password) {
    await page.locator('#from').fill(from);
    await page.locator('#from').dispatchEvent('change');
    await page.locator('#to').fill(to);
    await page.locator('#password').fill(password);
    await page.locator('#passwordConfirm').fill(confirm);
    await page.locator('#reason').fill('페이지 테스트');
  }

  // Run in the page (strings: this project's TypeScript has no DOM library).
  const focused = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id');
  const storage = (page: Page) => page.evaluate<string>('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })');

  it('signs in, shows an inline error, runs the export to 100 %, and downloads a file that decrypts', async () => {
    const { context, page } = await openPage(server.url, await tokenFor(['caseStats:download']));

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

    // A rule only the server knows lands next to its field, in Korean: an unknown time zone.
    await page.locator('#password').fill('Secret42');
    await page.locator('#passwordConfirm').fill('Secret42');
    await page.locator('#timezone').fill('Mars/Olympus');
    await page.locator('#submit').click();
    const zoneError = page.locator('[data-error-for="timezone"]');
    await expect.poll(() => zoneError.textContent()).toBe('‘Mars/Olympus’은(는) 알 수 없는 시간대예요. Asia/Seoul 같은 IANA 시간대 이름을 입력하세요.');
    expect(await zoneError.getAttribute('role')).toBe('alert');
    expect(await focused(page)).toBe('timezone');

    await page.locator('#timezone').fill('Asia/Seoul');
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
    const { exports } = (await (await fetch(`${server.url}/api/channels/ch-1/case-exports`, { headers: { Authorization: `Bearer ${await tokenFor(['caseStats:download'])}` } })).json()) as { exports: { expiresAt: string }[] };
    const expiresAt = new Date(exports[0].expiresAt);
    expect(await page.locator('#progress-expiry time').getAttribute('datetime')).toBe(expiresAt.toISOString());
    expect(await page.locator('#progress-expiry').textContent()).toBe(`${seoulKo(expiresAt)}에 삭제돼요.`);

    const button = page.locator('#recent button.download').first();
    await expect.poll(() => button.count()).toBe(1);
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.waitForTimeout(400); // the bar's width transition
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts', 'export-page.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), progressButton.click()]);
    expect(download.suggestedFilename()).toBe('case-stats_ch-1_2025-06-26_2025-12-26.xlsx');
    const saved = join(dir, 'downloaded.xlsx');
    await download.saveAs(saved);
    const book = await readEncryptedXlsx(saved, 'Secret42');
    expect(sheetObjects(book, 'Case data')).toHaveLength(7);
    expect(Object.fromEntries(sheetObjects(book, 'Export info').map((r) => [r.field, r.value])).reason).toBe('페이지 테스트');

    const [again] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(again.suggestedFilename()).toBe('case-stats_ch-1_2025-06-26_2025-12-26.xlsx');

    // The page in English, too.
    await page.locator('#lang').click();
    expect(await page.locator('h1').textContent()).toBe('Case statistics download');
    await page.locator('#lang').click();
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

  it('shows a member without the download permission a message instead of the form, and an expired token an expiry message', async () => {
    const { context, page, apiCalls } = await openPage(server.url, await tokenFor(['caseStats:view']));
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

    // 7 cases in the range, a cap of 3: refused by the server, said next to the end date.
    await fillForm(page, '2025-06-26', '2025-12-26', 'Secret42');
    await page.locator('#submit').click();
    const toError = page.locator('[data-error-for="to"]');
    await expect.poll(() => toError.textContent()).toBe('조건에 맞는 케이스 7건 — 최대 3건까지 받을 수 있어요. 기간을 줄이거나 필터를 추가하세요.');
    expect(await focused(page)).toBe('to');
    expect(await page.locator('#password').inputValue()).toBe('Secret42'); // kept for the corrected request

    // The filters in the guide's words; the codes are what is sent.
    const mediums = page.locator('#mediumNames');
    expect(await mediums.locator('strong').textContent()).toBe('연동 서비스');
    expect(await mediums.locator('label').allTextContents()).toEqual(['채널톡 메시지', '전화', '이메일', '네이버톡톡', '인스타그램 메신저', '라인', '카카오'].map((l) => ` ${l}`));
    expect(await page.locator('#directions label').allTextContents()).toEqual([' 수신', ' 발신']);
    expect(await page.locator('#caseStates label').allTextContents()).toEqual([' 기록중', ' 완료']);
    expect(await page.locator('#userChatStates label').allTextContents()).toEqual([' 대기열', ' 진행중', ' 부재중', ' 보류됨', ' 종료됨']);
    expect(await page.locator('[data-error-for^="filters."]').evaluateAll((els) => els.map((e) => e.getAttribute('role')))).toEqual(Array(7).fill('alert'));
    await page.getByLabel('카카오', { exact: true }).check();
    await page.getByLabel('수신', { exact: true }).check();
    await page.getByLabel('종료됨', { exact: true }).check();
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('#progress-text').textContent(), { timeout: 30_000 }).toMatch(/^완료/);
    expect(posts).toHaveLength(2);
    expect(posts[1].filters).toMatchObject({ mediumNames: ['appKakao'], directions: ['INBOUND'], userChatStates: ['closed'], caseStates: [] });

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
});
