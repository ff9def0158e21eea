import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { createDataSource, migrate, projectNdjsonFile } from '@casestats/read-model';
import { REPO_ROOT, SCENARIOS_FILE, TestDatabase, createTestDatabase, readEncryptedXlsx, sheetObjects } from '@casestats/testing';
import { ExportServer, startExportServer } from '@casestats/export-api';
import { signMemberToken } from '@casestats/export-api';

const SECRET = 'page-secret-0123456789abcdef';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('the export page in real headless Chromium', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let server: ExportServer;
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
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('signs in, shows an inline error, runs the export to 100 %, and downloads a file that decrypts', async () => {
    const token = await signMemberToken(
      { memberId: 'm-7', name: '운영팀 박', channelId: 'ch-1', permissions: ['caseStats:download'], expiresIn: '1h' },
      SECRET,
      Math.floor(Date.now() / 1000),
    );
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 1200 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.locator('#token').fill(token);
    await page.locator('#signin-button').click();
    await expect.poll(() => page.locator('#who').textContent()).toContain('운영팀 박 · ch-1');

    // The end date's limit follows the start date: six months, clamped to the month's end.
    await page.locator('#from').fill('2025-08-31');
    await page.locator('#from').dispatchEvent('change');
    expect(await page.locator('#to').getAttribute('max')).toBe('2026-02-28');

    await page.locator('#from').fill('2025-06-26');
    await page.locator('#from').dispatchEvent('change');
    await page.locator('#to').fill('2025-12-26');
    await page.locator('#password').fill('not ok!');
    await page.locator('#reason').fill('페이지 테스트');
    await page.locator('#submit').click();
    const passwordError = page.locator('[data-error-for="password"]');
    await expect.poll(() => passwordError.textContent()).toMatch(/영문과 숫자/);
    expect(await page.locator('#password').getAttribute('aria-invalid')).toBe('true');

    // A rule only the server knows (the row cap aside) still lands next to its field: an unknown time zone.
    await page.locator('#password').fill('Secret42');
    await page.locator('#timezone').fill('Mars/Olympus');
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('[data-error-for="timezone"]').textContent()).toMatch(/not an IANA time zone/);

    await page.locator('#timezone').fill('Asia/Seoul');
    await page.locator('#password').fill('Secret42');
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('#bar').getAttribute('aria-valuenow'), { timeout: 30_000 }).toBe('100');
    expect(await page.locator('#progress-text').textContent()).toMatch(/7 \/ 7/);

    const button = page.locator('#recent button.download').first();
    await expect.poll(() => button.count()).toBe(1);
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.waitForTimeout(400); // the bar's width transition
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts', 'export-page.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toBe('case-stats_ch-1_2025-06-26_2025-12-26.xlsx');
    const saved = join(dir, 'downloaded.xlsx');
    await download.saveAs(saved);
    const book = await readEncryptedXlsx(saved, 'Secret42');
    expect(sheetObjects(book, 'Case data')).toHaveLength(7);
    expect(Object.fromEntries(sheetObjects(book, 'Export info').map((r) => [r.field, r.value])).reason).toBe('페이지 테스트');

    // The page in English, too.
    await page.locator('#lang').click();
    expect(await page.locator('h1').textContent()).toBe('Case statistics download');
    await context.close();
  }, 120_000);
});
