import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { Log } from '@casestats/config';
import { moveCheckpoint } from '@casestats/read-model';
import type { OffsetSpan } from '@casestats/source-apply';
import { topicOffsets } from './topic-positions';

export interface GapContext {
  kafka: Kafka;
  db: DataSource;
  topic: string;
  /** The checkpoints' consumer (the live projector's group). */
  consumer: string;
  log: Log;
}

/**
 * Where a partition goes on after a batch that starts past its stored checkpoint (applyBatch
 * refused it). Usually back to the checkpoint: the consumer was positioned past it (a switch, a
 * seek that did not happen). But records the broker no longer has (retention, deleteRecords) can
 * never be applied: seeking back to them ends at the earliest offset again, the same gap, forever.
 * Then the checkpoint moves up to the earliest offset, and the partition goes on from there.
 *
 * A batch of filtered records only (`dataless`: markers, aborted messages) goes nowhere: kafkajs
 * has moved past it already, and the next batch with messages finds any gap itself.
 *
 * Only this path asks the broker anything: it runs once per gap, never per batch.
 */
export async function resumeAfterGap(
  c: GapContext,
  schema: string,
  partition: number,
  storedNextOffset: number,
  fetched: OffsetSpan,
  dataless: boolean,
): Promise<{ resumeAt: number } | void> {
  const fields = { partition, storedNextOffset, fetchedOffset: fetched.firstOffset };
  if (dataless) {
    c.log('warn', 'filtered records past the checkpoint; left to the next batch', { code: 'PROJECTOR.OFFSET_GAP', ...fields });
    return;
  }
  const earliest = (await topicOffsets(c.kafka, c.topic)).get(partition)?.low ?? 0;
  if (storedNextOffset < earliest) {
    c.log('warn', 'records removed from the topic before they were projected; the partition goes on at its earliest offset', {
      code: 'PROJECTOR.RECORDS_REMOVED',
      ...fields,
      earliestOffset: earliest,
      lost: earliest - storedNextOffset,
    });
    await moveCheckpoint(c.db, schema, { consumer: c.consumer, topic: c.topic, partition }, earliest, storedNextOffset);
    return { resumeAt: earliest };
  }
  c.log('warn', 'batch starts past the checkpoint; resuming the partition there', { code: 'PROJECTOR.OFFSET_GAP', ...fields });
  return { resumeAt: storedNextOffset };
}
