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

  it('says how far a long file got on stderr, every --progress-every-ms (5 s unless given, so none on a short file)', async () => {
    const event = (i: number) =>
      JSON.stringify({ id: `pg-${i}`, type: 'userChat.created', version: 2, occurredAt: '2025-08-01T00:00:00.000Z', channelId: 'ch-pg', userChatId: `uc-pg-${i}`, data: { user: { id: `u-${i}`, name: 'P' }, medium: { name: 'email' } } });
    const file = join(dir, 'progress.ndjson');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => event(i)).join('\n'));
    const progress = /^project: (\d+) lines read, (\d+) applied, (\d+) invalid \((\d+) lines\/s\)$/m;

    const quiet = await runCasestats(['project', '--events', file], { DATABASE_URL: db.url });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(progress);

    const told = await runCasestats(['project', '--events', file, '--progress-every-ms', '0'], { DATABASE_URL: db.url });
    expect(told.code, told.stderr).toBe(0);
    const said = progress.exec(told.stderr);
    expect(said, told.stderr).not.toBeNull();
    const [, lines, applied, invalid] = (said ?? []).map(Number);
    expect(lines).toBeGreaterThan(0);
    expect(lines).toBeLessThanOrEqual(300);
    // The second run finds every event applied already: duplicates, neither applied nor invalid.
    expect(applied + invalid).toBe(0);
    expect(told.stdout).toMatch(/^0 applied, 300 duplicate, 0 invalid/m);
    // A tuning knob, not part of the usage.
    expect((await runCasestats(['project', '--help'])).stdout).not.toContain('--progress-every-ms');
  }, 120_000);
});
