import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS_FILE, TestDatabase, createTestDatabase, runCasestats } from '@casestats/testing';

describe('casestats feed: the case changes as NDJSON, and the cursor to resume from', () => {
  let db: TestDatabase;
  let dir: string;
  const cli = (...args: string[]) => runCasestats(args, { DATABASE_URL: db.url });

  beforeAll(async () => {
    db = await createTestDatabase('cs_cli_feed');
    dir = mkdtempSync(join(tmpdir(), 'casestats-cli-feed-'));
    expect((await cli('project', '--events', SCENARIOS_FILE)).code).toBe(0);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('writes every case of the channel, page after page, prints the cursor, and resumes from it with nothing new', async () => {
    const first = await cli('feed', '--channel', 'ch-1', '--out', join(dir, 'all.ndjson'), '--limit', '2');
    expect(first.code, first.stderr).toBe(0);
    const cursor = first.stdout.trim();
    expect(cursor).toMatch(/^\S+$/);
    const items = readFileSync(join(dir, 'all.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(items.map((i) => i.userChatCaseId)).size).toBe(7);
    expect(items.every((i) => String(i.userChatUrl).includes('/channels/ch-1/'))).toBe(true);

    const again = await cli('feed', '--channel', 'ch-1', '--out', join(dir, 'next.ndjson'), '--cursor', cursor);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(dir, 'next.ndjson'), 'utf8')).toBe('');
    expect(readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(false);
  }, 120_000);

  it('refuses a bad cursor or limit with exit 2, leaving no file', async () => {
    const bad = await cli('feed', '--channel', 'ch-1', '--out', join(dir, 'bad.ndjson'), '--cursor', 'bogus');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cursor/);
    expect(existsSync(join(dir, 'bad.ndjson'))).toBe(false);
    const limit = await cli('feed', '--channel', 'ch-1', '--out', join(dir, 'bad.ndjson'), '--limit', '1001');
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(/--limit.*'1001' is invalid/);
  }, 120_000);
});
