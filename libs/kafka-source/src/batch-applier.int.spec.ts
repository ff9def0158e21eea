import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '@casestats/testing';
import { BatchApplier, DeadLetterOut } from './batch-applier';

const message = (offset: number, value: string): KafkaMessage =>
  ({ offset: String(offset), key: Buffer.from('uc-w'), value: Buffer.from(value), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

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
    const messages = [message(0, event('w-1', 'userChat.opened', { assignment: 'auto' })), message(1, '{broken'), message(2, event('w-2', 'userChat.closed'))];
    let storedWhenSent: number[] | undefined;
    let letters: DeadLetterOut[] = [];
    const stats = await applier.apply('proj_1', { consumer: 'g', topic: 't', partition: 0, firstOffset: 0, nextOffset: 3 }, messages, async (l) => {
      letters = l;
      storedWhenSent = await stored(0);
    });
    expect(storedWhenSent).toEqual([]);
    expect(letters.map((l) => ({ offset: l.message.offset, code: l.code }))).toEqual([{ offset: '1', code: 'EVENT.INVALID_JSON' }]);
    expect(letters[0].message).toBe(messages[1]);
    expect(stats).toMatchObject({ applied: 2, duplicates: 0, deadLettered: 1 });
    expect(await stored(0)).toEqual([3]);
    const [row] = await db.dataSource.query(`SELECT case_state, closed_at FROM proj_1.case_records WHERE user_chat_id = 'uc-w'`);
    expect(row.closed_at.toISOString()).toBe('2025-07-01T00:00:00.000Z');
    const dead = await db.dataSource.query(`SELECT source, position, code FROM dead_letters`);
    expect(dead).toEqual([{ source: 'kafka:t/0', position: '1', code: 'EVENT.INVALID_JSON' }]);
  });

  it('fails the batch, and stores nothing of it, when the dead letters could not be sent', async () => {
    const messages = [message(0, event('w-3', 'userChat.opened', { assignment: 'auto' })), message(1, 'not json either')];
    await expect(
      applier.apply('proj_1', { consumer: 'g', topic: 't', partition: 1, firstOffset: 0, nextOffset: 2 }, messages, async () => {
        throw new Error('the DLQ topic is unreachable');
      }),
    ).rejects.toThrow('the DLQ topic is unreachable');
    expect(await stored(1)).toEqual([]);
  });

  it('says clearly when its worker cannot reach the database', async () => {
    const lost = new BatchApplier({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1 });
    await expect(lost.ready()).rejects.toThrow(/the batch applier could not open its connections: .*ECONNREFUSED/);
    await lost.close();
  });
});
