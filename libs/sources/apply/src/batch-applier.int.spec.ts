import type { KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '@casestats/testing';
import { BatchApplier, DeadLetterOut } from './batch-applier';
import { packMessages } from './message-split';

const message = (offset: number, value: string, key: string | null = 'uc-w'): KafkaMessage =>
  ({ offset: String(offset), key: key === null ? null : Buffer.from(key), value: Buffer.from(value), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

const event = (id: string, type: string, data: object = {}) =>
  JSON.stringify({ id, type, version: 2, occurredAt: '2025-07-01T00:00:00.000Z', channelId: 'ch-w', userChatId: 'uc-w', data });

describe('BatchApplier: batches parsed and applied on a worker thread', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let applier: BatchApplier;
  const stored = async (partition: number) =>
    (await db.dataSource.query(`SELECT next_offset FROM proj_1.checkpoints WHERE topic = 't' AND partition = $1`, [partition])).map((r: { next_offset: string }) => Number(r.next_offset));

  beforeAll(async () => {
    db = await createMigratedDatabase('cs_applier');
    applier = new BatchApplier({ databaseUrl: db.url, poolSize: 2 });
    await applier.ready();
  });
  afterAll(async () => {
    await applier?.close();
    await db?.drop();
  });

  it('hands the dead letters over before the transaction that moves past them, then applies the batch with its checkpoint', async () => {
    const messages = [message(0, event('w-1', 'userChat.opened', { assignment: 'auto' })), message(1, '{broken'), message(2, event('w-2', 'userChat.closed')), message(3, '', null)];
    let storedWhenSent: number[] | undefined;
    let letters: DeadLetterOut[] = [];
    const stats = await applier.apply('proj_1', { consumer: 'g', topic: 't', partition: 0, firstOffset: 0, nextOffset: 4 }, packMessages(messages), async (l) => {
      letters = l;
      storedWhenSent = await stored(0);
    });
    expect(storedWhenSent).toEqual([]);
    // Each as fetched: its key (none for the last), its bytes and its offset, though the batch's own bytes went to the worker.
    expect(letters.map(({ key, value, offset, code }) => ({ key: key?.toString() ?? null, value: value.toString(), offset, code }))).toEqual([
      { key: 'uc-w', value: '{broken', offset: '1', code: 'EVENT.INVALID_JSON' },
      { key: null, value: '', offset: '3', code: 'EVENT.INVALID_JSON' },
    ]);
    expect(stats).toMatchObject({ applied: 2, duplicates: 0, deadLettered: 2 });
    expect(await stored(0)).toEqual([4]);
    const [row] = await db.dataSource.query(`SELECT case_state, closed_at FROM proj_1.case_records WHERE user_chat_id = 'uc-w'`);
    expect(row.closed_at.toISOString()).toBe('2025-07-01T00:00:00.000Z');
    const dead = await db.dataSource.query(`SELECT source, position, code FROM dead_letters`);
    expect(dead).toEqual([
      { source: 'kafka:t/0', position: '1', code: 'EVENT.INVALID_JSON' },
      { source: 'kafka:t/0', position: '3', code: 'EVENT.INVALID_JSON' },
    ]);
  });

  it('sends no letter again that the checkpoint already covers: a batch straddling it sends only its new ones', async () => {
    // Partition 0 is stored at 4 (the test above): offsets 1 and 3 were dead-lettered then.
    const messages = [message(1, '{broken'), message(3, '', null), message(4, 'also broken'), message(5, event('w-9', 'userChat.closed'))];
    const sends: string[][] = [];
    await applier.apply('proj_1', { consumer: 'g', topic: 't', partition: 0, firstOffset: 1, nextOffset: 6 }, packMessages(messages), async (l) => {
      sends.push(l.map((letter) => letter.offset));
    });
    expect(sends).toEqual([['4']]);
    expect(await stored(0)).toEqual([6]);
  });

  it('sends a letter once though its batch fails twice and is retried: the checkpoint has not moved, but this process sent it', async () => {
    const quick = new BatchApplier({ databaseUrl: db.url, poolSize: 1, statementTimeoutMs: 300 });
    await quick.ready();
    // The letter goes out, then the batch's transaction waits on the held table and fails past its statement limit.
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE dead_letters IN ACCESS EXCLUSIVE MODE');
    const batch = () => packMessages([message(0, event('w-5', 'userChat.opened', { assignment: 'auto' }), 'uc-r'), message(1, 'broken, and retried', 'uc-r')]);
    const checkpoint = { consumer: 'g', topic: 't', partition: 3, firstOffset: 0, nextOffset: 2 };
    const sends: string[][] = [];
    const send = async (letters: DeadLetterOut[]) => void sends.push(letters.map((l) => l.offset));
    try {
      for (let attempt = 1; attempt <= 2; attempt++) await expect(quick.apply('proj_1', checkpoint, batch(), send)).rejects.toThrow(/statement timeout/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // The third try on another worker of the process, as BatchAppliers may hand it to any.
    expect(await applier.apply('proj_1', checkpoint, batch(), send)).toMatchObject({ applied: 1, deadLettered: 1 });
    expect(sends).toEqual([['1']]);
    expect(await stored(3)).toEqual([2]);
    expect(await db.dataSource.query(`SELECT position FROM dead_letters WHERE source = 'kafka:t/3'`)).toEqual([{ position: '1' }]);
    await quick.close();
  }, 20_000);

  it('fails the batch, and stores nothing of it, when the dead letters could not be sent', async () => {
    const messages = [message(0, event('w-3', 'userChat.opened', { assignment: 'auto' })), message(1, 'not json either')];
    await expect(
      applier.apply('proj_1', { consumer: 'g', topic: 't', partition: 1, firstOffset: 0, nextOffset: 2 }, packMessages(messages), async () => {
        throw new Error('the DLQ topic is unreachable');
      }),
    ).rejects.toThrow('the DLQ topic is unreachable');
    expect(await stored(1)).toEqual([]);
  });

  it('fails a batch stuck past the statement limit, and applies it on the retry once the database answers again', async () => {
    const quick = new BatchApplier({ databaseUrl: db.url, poolSize: 1, statementTimeoutMs: 300 });
    await quick.ready();
    // Another connection holds the checkpoints, as a stuck transaction would: the batch's first statement waits on it.
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE proj_1.checkpoints IN ACCESS EXCLUSIVE MODE');
    const batch = () => packMessages([message(0, event('w-4', 'userChat.opened', { assignment: 'auto' }))]);
    const checkpoint = { consumer: 'g', topic: 't', partition: 2, firstOffset: 0, nextOffset: 1 };
    try {
      const started = Date.now();
      await expect(quick.apply('proj_1', checkpoint, batch(), async () => undefined)).rejects.toThrow(/statement timeout/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // What a lane does after a failure: the same batch again, on the same applier and its one connection.
    expect(await quick.apply('proj_1', checkpoint, batch(), async () => undefined)).toMatchObject({ applied: 1 });
    expect(await stored(2)).toEqual([1]);
    await quick.close();
  }, 20_000);

  it('logs each written case for the change feed, and only the bench control (changeLog: false, in its start data) does not', async () => {
    const logged = async (id: string) =>
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM proj_1.case_change_log WHERE $1 = ANY (case_ids)`, [id]))[0].n;
    const open = (id: string, chat: string) =>
      packMessages([message(0, JSON.stringify({ id, type: 'userChat.opened', version: 2, occurredAt: '2025-07-01T00:00:00.000Z', channelId: 'ch-w', userChatId: chat, data: { assignment: 'auto' } }), chat)]);
    await applier.apply('proj_1', { source: 'file:logged', partition: 0 }, open('l-1', 'uc-logged'), async () => undefined);
    const control = new BatchApplier({ databaseUrl: db.url, poolSize: 1, changeLog: false });
    await control.apply('proj_1', { source: 'file:control', partition: 0 }, open('c-1', 'uc-control'), async () => undefined);
    await control.close();
    const cases = await db.dataSource.query(`SELECT user_chat_case_id FROM proj_1.case_records WHERE user_chat_id IN ('uc-logged', 'uc-control') ORDER BY 1`);
    expect(cases.map((r: { user_chat_case_id: string }) => r.user_chat_case_id)).toEqual(['uc-control-1', 'uc-logged-1']);
    expect(await logged('uc-logged-1')).toBe(1);
    expect(await logged('uc-control-1')).toBe(0);
  });

  it('says clearly when its worker cannot reach the database', async () => {
    const lost = new BatchApplier({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1 });
    await expect(lost.ready()).rejects.toThrow(/the batch applier could not open its connections: .*ECONNREFUSED/);
    await lost.close();
  });
});
