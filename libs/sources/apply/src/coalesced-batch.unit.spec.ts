import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CoalescedBatch } from './coalesced-batch';
import { FetchedBatch, keyOf, packMessages, splitPacked } from './message-split';

const message = (offset: number, value: string | null, key: string | null = `k-${offset}`): KafkaMessage =>
  ({ offset: String(offset), key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

const event = (offset: number) =>
  JSON.stringify({ id: `e-${offset}`, type: 'userChat.summarized', version: 2, occurredAt: '2025-07-01T00:00:00.000Z', channelId: 'ch-1', userChatId: 'uc-1', data: { summary: `상담 ${offset}` } });

describe('coalesced batches: fetches of one partition applied as one transaction', () => {
  it('take in later fetches up to their byte limit, and apply them as one batch in offset order', async () => {
    const fetches = [
      packMessages([message(10, event(10)), message(11, '{bad', null)]),
      packMessages([message(12, null), message(13, event(13))]),
      packMessages([message(14, event(14))]),
    ];
    const applied: FetchedBatch[] = [];
    const apply = async (f: FetchedBatch) => void applied.push(f);
    const limit = fetches[0].batch.values.byteLength + fetches[1].batch.values.byteLength;
    const job = new CoalescedBatch('proj_1', fetches[0], apply, limit);
    expect(job.firstOffset).toBe(10);
    expect(job.join(new CoalescedBatch('proj_1', fetches[1], apply, limit))).toBe(true);
    expect(job.join(new CoalescedBatch('proj_1', fetches[2], apply, limit))).toBe(false); // over the limit
    await job.run();

    const [all] = applied;
    expect([...all.batch.offsets]).toEqual([10, 11, 12, 13]);
    // From the first fetch's start to the last one's end: what the checkpoint moves over.
    expect(all.span).toEqual({ firstOffset: 10, nextOffset: 14 });
    const split = splitPacked('t', 0, all.batch);
    expect(split.events.map((e) => [e.id, e.type === 'userChat.summarized' && e.data.summary])).toEqual([['e-10', '상담 10'], ['e-13', '상담 13']]);
    expect(split.offsets).toEqual([10, 13]);
    expect(split.deadLetters.map((d) => [d.index, d.position, d.raw.toString()])).toEqual([[1, '11', '{bad'], [2, '12', '']]);
    expect([0, 1, 2, 3].map((i) => keyOf(all, i)?.toString() ?? null)).toEqual(['k-10', null, 'k-12', 'k-13']);
  });

  it('never join a batch for another schema', () => {
    const apply = async () => undefined;
    const job = new CoalescedBatch('proj_1', packMessages([message(1, event(1))]), apply);
    expect(job.join(new CoalescedBatch('proj_2', packMessages([message(2, event(2))]), apply))).toBe(false);
    expect(job.join(new CoalescedBatch('proj_1', packMessages([message(2, event(2))]), apply))).toBe(true);
  });

  it('apply a lone fetch as it is', async () => {
    const only = packMessages([message(5, event(5))]);
    let got: FetchedBatch | undefined;
    await new CoalescedBatch('proj_1', only, async (f) => void (got = f)).run();
    expect(got).toBe(only);
  });
});
