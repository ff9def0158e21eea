import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '@casestats/testing';
import { projectNdjsonFile } from './ndjson-file.source';

const line = (id: string, type: string, at: string, data: object) =>
  JSON.stringify({ id, type, version: 2, occurredAt: at, channelId: 'ch-f', userChatId: 'f1', data });

describe('the NDJSON file source against PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  const dir = mkdtempSync(join(tmpdir(), 'cs-ndjson-'));
  beforeAll(async () => {
    db = await createMigratedDatabase('cs_ndjson');
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads lines as bytes: invalid UTF-8 is dead-lettered with its bytes as they were, as from Kafka', async () => {
    // A tag whose bytes are not UTF-8 (0xff): a lenient decoder would have stored "vip\ufffd".
    const tagged = line('f-3', 'userChat.tagsChanged', '2025-07-01T00:02:00.000Z', { tags: ['vip'] });
    const cut = tagged.indexOf('vip') + 3;
    const badLine = Buffer.concat([Buffer.from(tagged.slice(0, cut)), Buffer.from([0xff]), Buffer.from(tagged.slice(cut))]);
    const long = '가'.repeat(50_000);
    const file = join(dir, 'events.ndjson');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(`${line('f-1', 'userChat.queued', '2025-07-01T00:00:00.000Z', {})}\r\n`),
        Buffer.from('  \n'),
        badLine,
        Buffer.from('\n'),
        // Longer than a read of the file (64 KiB), its three-byte characters split between reads.
        Buffer.from(`${line('f-4', 'userChat.descriptionChanged', '2025-07-01T00:03:00.000Z', { description: long })}\n`),
        // The last line has no newline after it.
        Buffer.from(line('f-2', 'message.created', '2025-07-01T00:01:00.000Z', { personType: 'user' })),
      ]),
    );
    const stats = await projectNdjsonFile(db.dataSource, 'proj_1', file);
    expect(stats).toEqual({ lines: 5, applied: 3, duplicates: 0, invalid: 1 });
    const [letter] = await db.dataSource.query(`SELECT source, position, code, raw FROM dead_letters`);
    expect(letter).toMatchObject({ source: 'file:events.ndjson', position: '3', code: 'EVENT.INVALID_JSON' });
    expect(Buffer.compare(letter.raw, badLine)).toBe(0);
    const [record] = await db.dataSource.query(`SELECT user_chat_case_id, tags, description FROM proj_1.case_records WHERE user_chat_id = 'f1'`);
    expect(record).toEqual({ user_chat_case_id: 'f1-1', tags: [], description: long });
  });
});
