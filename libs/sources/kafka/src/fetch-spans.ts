import type { Batch, Consumer } from 'kafkajs';
import type { OffsetSpan } from '@casestats/source-apply';

/**
 * A fetched batch's span: kafkajs's fetch offset (at runtime on every Batch, not in its types) and
 * lastOffset() + 1, which counts the records it filtered out (what resolveOffset moves past too).
 */
export function batchSpan(batch: Batch): OffsetSpan {
  return { firstOffset: Number((batch as Batch & { fetchedOffset: string }).fetchedOffset), nextOffset: Number(batch.lastOffset()) + 1 };
}

/**
 * Calls `onSpan` for each batch of `topic` whose records kafkajs filtered out entirely (a
 * transaction's marker fetched on its own, an aborted transaction): it hands over no such batch and
 * moves past it itself, so the checkpoint must move with it, or a partition ending in a marker would
 * stay one behind and its next batch look like a gap.
 */
export function onFilteredBatches(consumer: Consumer, topic: string, onSpan: (partition: number, span: OffsetSpan) => void): void {
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload: b }) => {
    if (b.batchSize === 0 && b.firstOffset !== null && b.topic === topic) {
      onSpan(b.partition, { firstOffset: Number(b.firstOffset), nextOffset: Number(b.lastOffset) + 1 });
    }
  });
}
