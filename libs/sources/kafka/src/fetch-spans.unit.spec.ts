import type { Batch, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { packMessages } from '@casestats/source-apply';
import { batchSpan } from './fetch-spans';

const message = (offset: number, value: string | null): KafkaMessage =>
  ({ offset: String(offset), key: Buffer.from('k'), value: value === null ? null : Buffer.from(value), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

const event = (id: string) =>
  JSON.stringify({ id, type: 'userChat.closed', version: 2, occurredAt: '2025-07-01T00:00:00.000Z', channelId: 'ch-1', userChatId: 'uc-1', data: {} });

describe('packed partition batches', () => {
  it('span from where the fetch started to past the last record it read, the filtered ones included', () => {
    // Offsets 20-21 were a transaction marker and an aborted message: kafkajs left them out.
    const batch = { fetchedOffset: '20', messages: [message(22, event('e-4'))], lastOffset: () => '23' } as unknown as Batch;
    expect(batchSpan(batch)).toEqual({ firstOffset: 20, nextOffset: 24 });
    expect(packMessages(batch.messages).span).toEqual({ firstOffset: 22, nextOffset: 23 });
  });
});
