import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { Log } from '@casestats/config';
import { activeSchema, createProjectionSchema, dataSourceUrl, moveCheckpoint, switchActiveSchema } from '@casestats/read-model';
import { BatchAppliers } from '@casestats/source-apply';
import { PartitionPipeline } from './partition-pipeline';
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
  /** false only in the bench's control of the feed's cost: the rebuild writes without the change log. */
  changeLog?: boolean;
}

/**
 * Replays the topic from the beginning into a fresh projection schema while the live one keeps
 * serving, up to the end offsets seen at the start (every partition's position there, filtered
 * records and those removed by retention included), then switches the active schema in one
 * compare-and-set. The live projector notices the switch and resumes every partition from the
 * new schema's checkpoints, so what arrived meanwhile lands there too.
 */
export async function rebuildProjection(o: RebuildOptions): Promise<{ schema: string; previous: string; events: number }> {
  // The apply threads load (0.2-0.6 s) while the new schema is made and the end offsets are read.
  const applier = new BatchAppliers(o.applyThreads, { databaseUrl: dataSourceUrl(o.db, 'rebuild'), poolSize: 3, changeLog: o.changeLog });
  const ready = applier.ready();
  ready.catch(() => undefined); // awaited below
  let replayed: { schema: string; previous: string; applied: number };
  try {
    replayed = await replay(o, applier, ready);
  } finally {
    await applier.close();
  }
  const { schema, previous, applied } = replayed;
  await switchActiveSchema(o.db, previous, schema);
  o.log('info', 'rebuild switched the active projection', { schema, previous, applied });
  return { schema, previous, events: applied };
}

/** Makes the new schema and replays the topic into it, up to the end offsets seen at its start. */
async function replay(o: RebuildOptions, applier: BatchAppliers, ready: Promise<void>): Promise<{ schema: string; previous: string; applied: number }> {
  // The replay starts at each partition's earliest offset and stops at its end offset as of now.
  const ending = topicOffsets(o.kafka, o.topic);
  ending.catch(() => undefined); // awaited below
  const previous = await activeSchema(o.db);
  const schema = await createProjectionSchema(o.db);
  const offsets = await ending;
  const ends = new Map([...offsets].map(([p, { high }]) => [p, high]));
  o.log('info', 'rebuild started', { schema, previous, endOffsets: Object.fromEntries(ends) });
  const key = (partition: number) => ({ consumer: o.groupId, topic: o.topic, partition });
  // Nothing lies below a partition's earliest offset: its replay starts there, and is no gap.
  for (const [partition, { low }] of offsets) await moveCheckpoint(o.db, schema, key(partition), low);
  let applied = 0;
  // Positions, not messages: a partition ending in a transaction marker, or emptied by
  // retention, has no message at its end offset - 1 to wait for.
  if ([...offsets].some(([, { low, high }]) => low < high)) {
    const pipeline = new PartitionPipeline({
      kafka: o.kafka,
      db: o.db,
      topic: o.topic,
      groupId: `${o.groupId}-rebuild-${schema}`,
      checkpointConsumer: o.groupId,
      log: o.log,
      applier,
      target: () => schema,
      until: ends,
      maxBatchBytes: o.maxBatchBytes,
      // A replay sends no dead letters (they reached the topic the first time); it stores them.
      onApplied: (_partition, stats) => (applied += stats.applied),
    });
    try {
      await Promise.all([pipeline.connect(), ready]);
      await pipeline.start();
      await pipeline.finished;
    } finally {
      await pipeline.stop();
    }
  }
  // Every partition of the topic gets its checkpoint at its end offset, those the replay had
  // nothing to apply in too (empty, or emptied by retention): the live projector resumes each
  // from there, not from where it happened to be in the previous schema.
  for (const [partition, end] of ends) await moveCheckpoint(o.db, schema, key(partition), end);
  return { schema, previous, applied };
}
