import type { Batch, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { packMessages } from '@casestats/source-apply';
import { batchSpan } from './fetch-spans';

describe('packed partition batches', () => {
  it('span from where the fetch started to past the last record it read, the filtered ones included', () => {
    // Offsets 20-21 were a transaction marker and an aborted message: kafkajs left them out.
    const message = { offset: '22', key: Buffer.from('k'), value: Buffer.from('{}'), timestamp: '0', attributes: 0, headers: {} } as KafkaMessage;
    const batch = { fetchedOffset: '20', messages: [message], lastOffset: () => '23' } as unknown as Batch;
    expect(batchSpan(batch)).toEqual({ firstOffset: 20, nextOffset: 24 });
    expect(packMessages(batch.messages).span).toEqual({ firstOffset: 22, nextOffset: 23 });
  });
});
