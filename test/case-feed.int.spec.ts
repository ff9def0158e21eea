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

/** The feed over HTTP and the CLI, on the fixtures: the fixtures' expected records, nothing of another channel, the refusals. */
describe('the case change feed: API and casestats feed', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let server: ExportServer;
  let dir: string;
  const env = () => ({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET });
  const { token, get } = memberApi(() => server.url, SECRET, ['caseStats:download']);
  const expected = (channelId: string) =>
    expectedCases()
      .filter((e) => e.channelId === channelId)
      .sort((a, b) => String(a.userChatCaseId).localeCompare(String(b.userChatCaseId)));
  const byId = (items: Json[]) => [...items].sort((a, b) => String(a.userChatCaseId).localeCompare(String(b.userChatCaseId)));

  beforeAll(async () => {
    db = await createTestDatabase('cs_feedapi');
    dir = mkdtempSync(join(tmpdir(), 'casestats-feed-'));
    expect((await runCasestats(['migrate'], env())).code).toBe(0);
    expect((await runCasestats(['project', '--events', SCENARIOS_FILE], env())).code).toBe(0);
    ds = createDataSource(db.url);
    await ds.initialize();
    server = await startExportServer(loadConfig({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: dir }), ds, () => undefined, 0);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it("gives the channel's records as the fixtures expect them, in pages that follow the cursor, and nothing of another channel", async () => {
    const first = await get('/api/channels/ch-1/case-changes', await token());
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const whole: Json = await first.json();
    expect(whole.hasMore).toBe(false);
    expect(typeof whole.nextCursor).toBe('string');
    expect(byId(whole.items)).toEqual(expected('ch-1'));

    const paged: Json[] = [];
    let cursor = '';
    for (let i = 0; i < 20; i++) {
      const res = await get(`/api/channels/ch-1/case-changes?limit=3${cursor ? `&cursor=${cursor}` : ''}`, await token());
      expect(res.status).toBe(200);
      const page: Json = await res.json();
      expect(page.items.length).toBeLessThanOrEqual(3);
      paged.push(...page.items);
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(paged).toEqual(whole.items);
    // Resumed from the last cursor with nothing new: nothing, and the same place.
    const after: Json = await (await get(`/api/channels/ch-1/case-changes?cursor=${cursor}`, await token())).json();
    expect(after).toEqual({ items: [], nextCursor: cursor, hasMore: false });

    const other: Json = await (await get('/api/channels/ch-2/case-changes', await token({ channelId: 'ch-2' }))).json();
    expect(byId(other.items)).toEqual(expected('ch-2'));
    expect(other.items.every((i: Json) => i.channelId === 'ch-2')).toBe(true);
  });

  it('401 without a valid token, 403 without caseStats:download or for another channel, 400 for a bad limit or a malformed or foreign cursor', async () => {
    expect((await get('/api/channels/ch-1/case-changes')).status).toBe(401);
    expect((await get('/api/channels/ch-1/case-changes', 'not-a-jwt')).status).toBe(401);
    expect((await get('/api/channels/ch-1/case-changes', await token({ permissions: ['caseStats:view'] }))).status).toBe(403);
    expect((await get('/api/channels/ch-1/case-changes', await token({ channelId: 'ch-2' }))).status).toBe(403);

    const ch2: Json = await (await get('/api/channels/ch-2/case-changes?limit=1', await token({ channelId: 'ch-2' }))).json();
    const refusals = ['limit=0', 'limit=1001', 'limit=abc', 'limit=1&limit=2', 'cursor=%00', 'cursor=abc', `cursor=${ch2.nextCursor}`, 'cursor=a&cursor=b'];
    for (const query of refusals) {
      const res = await get(`/api/channels/ch-1/case-changes?${query}`, await token());
      expect(res.status, query).toBe(400);
      const body: Json = await res.json();
      expect(body.code, query).toBe('INPUT.INVALID');
      expect(body.problems[0].field, query).toBe(query.startsWith('limit') ? 'limit' : 'cursor');
    }
  });
});
