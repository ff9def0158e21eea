import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepDueCases } from '@casestats/read-model';
import { simulate } from '@casestats/simulator';
import { FAR_FUTURE, SCENARIOS_FILE, cleanRunTables, createMigratedDatabase, projectionTables } from '@casestats/testing';
import { FileDeadLetter, projectEventsFile } from './file-source';

describe('the file source on the projector pipeline (lanes by chat, apply threads, 8 MB transactions)', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  const dir = mkdtempSync(join(tmpdir(), 'cs-file-source-'));
  beforeAll(async () => {
    db = await createMigratedDatabase('cs_filesrc');
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the records of one sequential fold of the file, and reports each invalid line and its progress', async () => {
    const events = [...simulate({ chats: 400, seed: 21, days: 12 })];
    const lines = events.map((e) => Buffer.from(JSON.stringify(e)));
    // Poison among them: a NUL, 900 kB of control bytes, JSON of no event.
    const poison = new Map<number, Buffer>([
      [10, Buffer.from([0])],
      [500, Buffer.from(new Uint8Array(900_000).map((_, i) => (i % 32 === 0x0a ? 0x01 : i % 32)))],
      [1200, Buffer.from('{"id":"x"}')],
    ]);
    const all: Buffer[] = [];
    for (let i = 0; i < lines.length; i++) {
      const bad = poison.get(all.length + 1);
      if (bad) all.push(bad);
      all.push(lines[i]);
    }
    const file = join(dir, 'stream.ndjson');
    writeFileSync(file, Buffer.concat(all.flatMap((l) => [l, Buffer.from('\n')])));
    const letters: FileDeadLetter[] = [];
    const progress: number[] = [];
    // Small transactions, so that the lanes hand over many and join some.
    const stats = await projectEventsFile(db.dataSource, 'proj_1', file, { maxBatchBytes: 64 * 1024, onDeadLetter: (l) => letters.push(l), onProgress: (s) => progress.push(s.applied) });
    // The simulator sends some events twice, as at-least-once delivery does.
    expect(stats).toEqual({ lines: all.length, applied: expect.any(Number), duplicates: expect.any(Number), invalid: 3 });
    expect(stats.applied + stats.duplicates).toBe(events.length);
    expect(letters.sort((a, b) => a.line - b.line)).toEqual([
      { line: 10, code: 'EVENT.INVALID_JSON', reason: 'not valid UTF-8 JSON: unexpected character U+0000' },
      { line: 500, code: 'EVENT.INVALID_JSON', reason: 'not valid UTF-8 JSON: unexpected character U+0000' },
      { line: 1200, code: 'EVENT.UNKNOWN_TYPE', reason: expect.any(String) },
    ].sort((a, b) => a.line - b.line).map((l) => (l.line === 1200 ? { ...l, code: expect.stringMatching(/^EVENT\./) } : l)));
    expect(progress.length).toBeGreaterThan(3);
    expect(progress[progress.length - 1]).toBe(stats.applied);
    const stored = await db.dataSource.query(`SELECT position FROM dead_letters WHERE source = 'file:stream.ndjson' ORDER BY position::int`);
    expect(stored.map((r: { position: string }) => r.position)).toEqual(['10', '500', '1200']);
    await sweepDueCases(db.dataSource, 'proj_1', FAR_FUTURE);
    expect(await projectionTables(db.dataSource)).toBe(await cleanRunTables(events));

    // Again: nothing changes, every event a duplicate.
    const again = await projectEventsFile(db.dataSource, 'proj_1', file);
    expect(again).toEqual({ lines: all.length, applied: 0, duplicates: events.length, invalid: 3 });
  }, 120_000);

  it('the fixtures: applied and duplicate as the README says', async () => {
    const fresh = await createMigratedDatabase('cs_filesrc2');
    try {
      expect(await projectEventsFile(fresh.dataSource, 'proj_1', SCENARIOS_FILE)).toMatchObject({ applied: 57, duplicates: 3, invalid: 0 });
    } finally {
      await fresh.drop();
    }
  }, 60_000);
});
