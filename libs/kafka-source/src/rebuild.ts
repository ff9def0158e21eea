import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { activeSchema, applyBatch, dataSourceUrl, projectionDdl, projectionSchemaName } from '@casestats/read-model';
import { BatchAppliers } from './batch-appliers';
import { Log } from './kafka-projector';
import { PartitionLanes } from './partition-lanes';
import { FetchedBatch, OffsetSpan, batchSpan, onFilteredBatches, packMessages } from './message-split';
import { resumeAfterGap } from './offset-gaps';
import { COALESCE_MAX_BYTES, CoalescedBatch, FETCH_BYTES_PER_PARTITION } from './coalesced-batch';
import { topicOffsets } from './topic-positions';

export interface RebuildOptions {
  kafka: Kafka;
  db: DataSource;
  topic: string;
  /** The live projector's group: the rebuilt checkpoints are stored under its name, so it continues from them. */
  groupId: string;
  log: Log;
  /** Bytes one transaction carries at most per partition (COALESCE_MAX_BYTES); tests lower it to replay through many. */
  maxBatchBytes?: number;
  /** Worker threads applying batches; DEFAULT_APPLY_THREADS unless given. */
  applyThreads?: number;
}

/**
 * Replays the topic from the beginning into a fresh projection schema while the live one keeps
 * serving, up to the end offsets seen at the start (every partition's position there, filtered
 * records and those removed by retention included), then switches the active schema in one
 * compare-and-set. The live projector notices the switch at its next batch and resumes every
 * partition from the new schema's checkpoints, so what arrived meanwhile lands there too.
 */
export async function rebuildProjection(o: RebuildOptions): Promise<{ schema: string; previous: string; events: number }> {
  // The apply threads load (0.2-0.6 s) while the new schema is made and the end offsets are read.
  const applier = new BatchAppliers(o.applyThreads, { databaseUrl: dataSourceUrl(o.db, 'rebuild'), poolSize: 3 });
  const ready = applier.ready();
  ready.catch(() => undefined); // awaited below
  let replayed: { schema: string; previous: string; applied: number };
  try {
    replayed = await replay(o, applier, ready);
  } finally {
    await applier.close();
  }
  const { schema, previous, applied } = replayed;
  const switched = await o.db.query(
    `UPDATE projection_registry SET active_schema = $1, updated_at = now() WHERE name = 'cases' AND active_schema = $2 RETURNING name`,
    [schema, previous],
  );
  if (!(Array.isArray(switched[0]) ? switched[0] : switched).length) {
    throw new Error(`the active projection changed during the rebuild (expected ${previous}); ${schema} was not switched in`);
  }
  o.log('info', 'rebuild switched the active projection', { schema, previous, applied });
  return { schema, previous, events: applied };
}

/** Makes the new schema and replays the topic into it, up to the end offsets seen at its start. */
async function replay(o: RebuildOptions, applier: BatchAppliers, ready: Promise<void>): Promise<{ schema: string; previous: string; applied: number }> {
  // The replay starts at each partition's earliest offset and stops at its end offset as of now.
  const ending = topicOffsets(o.kafka, o.topic);
  ending.catch(() => undefined); // awaited below
  const previous = await activeSchema(o.db);
  const [{ n }] = await o.db.query(`SELECT coalesce(max(substring(nspname from 6)::int), 0) + 1 AS n FROM pg_namespace WHERE nspname ~ '^proj_[0-9]+$'`);
  const schema = projectionSchemaName(Number(n));
  await o.db.transaction(async (m) => {
    for (const sql of projectionDdl(schema)) await m.query(sql);
  });
  const offsets = await ending;
  const ends = new Map([...offsets].map(([p, { high }]) => [p, high]));
  o.log('info', 'rebuild started', { schema, previous, endOffsets: Object.fromEntries(ends) });

  // Positions, not messages: where the replay has got to in each partition (nothing lies below
  // its earliest offset). A partition ending in a transaction marker, or emptied by retention,
  // has no message at its end offset - 1 to wait for.
  const next = new Map<number, number>([...offsets].map(([p, { low }]) => [p, low]));
  const done = () => [...ends].every(([p, end]) => (next.get(p) ?? 0) >= end);
  const gaps = { kafka: o.kafka, db: o.db, topic: o.topic, consumer: o.groupId, log: o.log };
  // Nothing lies below a partition's earliest offset: its first batch starts there, and is no gap.
  for (const [partition, { low }] of offsets) await storePosition(o, schema, partition, low);
  let applied = 0;
  if (!done()) {
    const batchBytes = o.maxBatchBytes ?? COALESCE_MAX_BYTES;
    const consumer = o.kafka.consumer({ groupId: `${o.groupId}-rebuild-${schema}`, maxBytesPerPartition: Math.min(FETCH_BYTES_PER_PARTITION, batchBytes) });
    const lanes = new PartitionLanes({
      resume: (partition, offset) => consumer.seek({ topic: o.topic, partition, offset: String(offset) }),
      onError: (partition, error, retryInMs) => o.log('warn', 'rebuild batch failed; resuming the partition', { partition, error: error.message, retryInMs }),
    });
    try {
      await Promise.all([consumer.connect(), ready]);
      await consumer.subscribe({ topic: o.topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const job = (partition: number, fetched: FetchedBatch) =>
          new CoalescedBatch(
            schema,
            fetched,
            async (all) => {
              // A replay stores its dead letters (they reached the topic the first time), nothing more.
              const checkpoint = { consumer: o.groupId, topic: o.topic, partition, ...all.span };
              const stats = await applier.apply(schema, checkpoint, all, async () => undefined);
              if (stats.gap) return resumeAfterGap(gaps, schema, partition, stats.gap.storedNextOffset, all.span, !all.batch.offsets.length);
              applied += stats.applied;
              next.set(partition, Math.max(next.get(partition) ?? 0, all.span.nextOffset));
              if (done()) resolve();
            },
            batchBytes,
          );
        /** The part of a span below the partition's end; null when nothing is. */
        const upToEnd = (partition: number, span: OffsetSpan): OffsetSpan | null => {
          const end = ends.get(partition) ?? 0;
          return span.firstOffset < end ? { firstOffset: span.firstOffset, nextOffset: Math.min(span.nextOffset, end) } : null;
        };
        consumer.on(consumer.events.CRASH, (e) => (e.payload.restart ? undefined : reject(e.payload.error)));
        onFilteredBatches(consumer, o.topic, (partition, filtered) => {
          const span = upToEnd(partition, filtered);
          if (span) lanes.append(partition, job(partition, packMessages([], span)));
        });
        void consumer
          .run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: 3,
            eachBatch: async ({ batch, heartbeat, resolveOffset, isRunning, isStale }) => {
              const { partition } = batch;
              const span = upToEnd(partition, batchSpan(batch));
              if (!span) {
                if (done()) resolve();
                return;
              }
              // Only a batch reaching past the end is cut (the last of each partition).
              const messages = span.nextOffset < Number(batch.lastOffset()) + 1 ? batch.messages.filter((m) => Number(m.offset) < span.nextOffset) : batch.messages;
              if (!(await lanes.take(partition, job(partition, packMessages(messages, span)), heartbeat, isRunning, () => !isStale()))) return;
              // Without it kafkajs fetches the same batch again: the replay would never get past it.
              resolveOffset(batch.lastOffset());
              await heartbeat();
            },
          })
          .catch(reject);
      });
    } finally {
      await lanes.stop();
      await consumer.disconnect();
    }
  }
  // Every partition of the topic gets its checkpoint at its end offset, those the replay had
  // nothing to apply in too (empty, or emptied by retention): the live projector resumes each
  // from there, not from where it happened to be in the previous schema.
  for (const [partition, end] of ends) await storePosition(o, schema, partition, end);
  return { schema, previous, applied };
}

/** Creates the partition's checkpoint, or moves it up to `offset`: a batch of nothing. */
async function storePosition(o: RebuildOptions, schema: string, partition: number, offset: number): Promise<void> {
  await applyBatch(o.db, schema, { events: [], checkpoint: { consumer: o.groupId, topic: o.topic, partition, offsets: [], nextOffset: offset } });
}
