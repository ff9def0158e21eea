import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyOf, packMessages, splitPacked } from './message-split';

const message = (offset: number, value: string | null): KafkaMessage =>
  ({ offset: String(offset), key: Buffer.from('k'), value: value === null ? null : Buffer.from(value), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

const event = (id: string) =>
  JSON.stringify({ id, type: 'userChat.closed', version: 2, occurredAt: '2025-07-01T00:00:00.000Z', channelId: 'ch-1', userChatId: 'uc-1', data: {} });

describe('packed partition batches', () => {
  it('carry every value and offset in one buffer of their own, and split into events and dead letters with their reasons', () => {
    // Values that are views of one larger buffer, as kafkajs hands them out.
    const messages = [message(40, event('e-1')), message(41, null), message(42, '{not json'), message(43, event('e-2'))];
    const packed = packMessages(messages);
    expect(packed.batch.values.byteLength).toBe(messages.reduce((n, m) => n + (m.value?.length ?? 0), 0));
    const split = splitPacked('t', 2, packed.batch);
    expect(split.events.map((e) => e.id)).toEqual(['e-1', 'e-2']);
    expect(split.offsets).toEqual([40, 43]);
    expect(split.deadLetters.map(({ index, position, code, source }) => ({ index, position, code, source }))).toEqual([
      { index: 1, position: '41', code: 'EVENT.INVALID_JSON', source: 'kafka:t/2' },
      { index: 2, position: '42', code: 'EVENT.INVALID_JSON', source: 'kafka:t/2' },
    ]);
    expect(split.deadLetters[1].raw.toString()).toBe('{not json');
    expect(split.deadLetters[1].reason).toMatch(/^not valid UTF-8 JSON: /);
  });

  it('keep the keys on the consumer\'s side, packed too, for the dead letters', () => {
    const keyed = (offset: number, key: string | null): KafkaMessage => ({ ...message(offset, event(`e-${offset}`)), key: key === null ? null : Buffer.from(key) });
    const fetched = packMessages([keyed(7, 'uc-7'), keyed(8, null), keyed(9, '상담'), keyed(10, '')]);
    expect([0, 1, 2, 3].map((i) => keyOf(fetched, i)?.toString() ?? null)).toEqual(['uc-7', null, '상담', '']);
    expect([...fetched.batch.offsets]).toEqual([7, 8, 9, 10]);
  });

  it('decode non-ASCII values, and refuse values that are not UTF-8 on their own even when the whole batch is', () => {
    const named = (id: string, name: string) =>
      JSON.stringify({ id, type: 'userChat.summarized', version: 2, occurredAt: '2025-07-01T00:00:00.000Z', channelId: 'ch-1', userChatId: 'uc-1', data: { summary: name } });
    // '한' is ED 95 9C: split after its first byte, the two values are invalid apart, valid end to end.
    const whole = Buffer.from(named('e-split', '한'));
    const cut = whole.indexOf(0xed) + 1;
    const bytes = (offset: number, value: Buffer): KafkaMessage => ({ ...message(offset, null), value });
    const messages = [message(1, named('e-1', '상담원 😀')), bytes(2, whole.subarray(0, cut)), bytes(3, whole.subarray(cut)), message(4, named('e-2', 'é'))];
    const split = splitPacked('t', 0, packMessages(messages).batch);
    expect(split.events.map((e) => [e.id, e.type === 'userChat.summarized' && e.data.summary])).toEqual([['e-1', '상담원 😀'], ['e-2', 'é']]);
    expect(split.deadLetters.map(({ position, code }) => [position, code])).toEqual([['2', 'EVENT.INVALID_JSON'], ['3', 'EVENT.INVALID_JSON']]);
    expect(split.deadLetters.map((d) => d.reason)).toEqual(Array(2).fill('not valid UTF-8 JSON: The encoded data was not valid for encoding utf-8'));
    expect(Buffer.concat(split.deadLetters.map((d) => d.raw))).toEqual(whole);

    // The same bytes with a lone continuation byte at the very start of a value, after a valid one.
    const lone = splitPacked('t', 0, packMessages([message(5, event('e-3')), bytes(6, Buffer.from([0x9c]))]).batch);
    expect([lone.events.map((e) => e.id), lone.deadLetters.map((d) => d.position)]).toEqual([['e-3'], ['6']]);
  });
});
