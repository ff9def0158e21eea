import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { packMessages, splitPacked } from './message-split';

const message = (offset: number, value: string | null): KafkaMessage =>
  ({ offset: String(offset), key: Buffer.from('k'), value: value === null ? null : Buffer.from(value), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

const event = (id: string) =>
  JSON.stringify({ id, type: 'userChat.closed', version: 2, occurredAt: '2025-07-01T00:00:00.000Z', channelId: 'ch-1', userChatId: 'uc-1', data: {} });

describe('packed partition batches', () => {
  it('carry every value and offset in one buffer of their own, and split into events and dead letters with their reasons', () => {
    // Values that are views of one larger buffer, as kafkajs hands them out.
    const messages = [message(40, event('e-1')), message(41, null), message(42, '{not json'), message(43, event('e-2'))];
    const packed = packMessages(messages);
    expect(packed.values.byteLength).toBe(messages.reduce((n, m) => n + (m.value?.length ?? 0), 0));
    const split = splitPacked('t', 2, packed);
    expect(split.events.map((e) => e.id)).toEqual(['e-1', 'e-2']);
    expect(split.offsets).toEqual([40, 43]);
    expect(split.deadLetters.map(({ index, position, code, source }) => ({ index, position, code, source }))).toEqual([
      { index: 1, position: '41', code: 'EVENT.INVALID_JSON', source: 'kafka:t/2' },
      { index: 2, position: '42', code: 'EVENT.INVALID_JSON', source: 'kafka:t/2' },
    ]);
    expect(split.deadLetters[1].raw.toString()).toBe('{not json');
    expect(split.deadLetters[1].reason).toMatch(/^not valid UTF-8 JSON: /);
  });
});
