import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabase, createTestDatabase, runCasestats } from '@casestats/testing';

describe('casestats project: what it prints', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('cs_cli_project');
    dir = mkdtempSync(join(tmpdir(), 'casestats-cli-project-'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('prints each dead letter with its line and reason, the first 20 by line, then how many more', async () => {
    const valid = (i: number) =>
      JSON.stringify({ id: `pp-${i}`, type: 'userChat.created', version: 2, occurredAt: '2025-08-01T00:00:00.000Z', channelId: 'ch-p', userChatId: `uc-p-${i}`, data: { user: { id: `u-${i}`, name: 'P' }, medium: { name: 'email' } } });
    const lines: string[] = [];
    // Lines 1, 3, 5 … are valid; 2, 4, … 50 are not: 25 dead letters, spread over every lane.
    for (let i = 1; i <= 25; i++) lines.push(valid(i), i % 2 ? `{not json ${i}` : JSON.stringify({ id: `bad-${i}`, type: 'userChat.teleported', version: 2, occurredAt: '2025-08-01T00:00:00.000Z', channelId: 'ch-p', userChatId: `uc-p-${i}`, data: {} }));
    const file = join(dir, 'letters.ndjson');
    writeFileSync(file, lines.join('\n'));

    const r = await runCasestats(['project', '--events', file], { DATABASE_URL: db.url });
    expect(r.code, r.stderr).toBe(0);
    const printed = r.stdout.split('\n').filter((l) => l.startsWith('line '));
    expect(printed).toHaveLength(20);
    expect(printed.map((l) => Number(/^line (\d+):/.exec(l)![1]))).toEqual(Array.from({ length: 20 }, (_, i) => 2 * (i + 1)));
    expect(printed[0]).toMatch(/^line 2: EVENT\.INVALID_JSON: /);
    expect(printed[1]).toMatch(/^line 4: EVENT\.UNKNOWN_TYPE: .*userChat\.teleported/);
    expect(r.stdout).toContain('… and 5 more dead letter(s)');
    expect(r.stdout).toMatch(/^25 applied, 0 duplicate, 25 invalid/m);
  }, 120_000);
});
