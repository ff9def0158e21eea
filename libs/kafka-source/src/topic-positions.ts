import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { PartitionPosition, activeSchema, appliedHorizon, readProgress } from '@casestats/read-model';

/** Each partition's earliest and end offsets, as the broker has them now. */
export async function topicOffsets(kafka: Kafka, topic: string): Promise<Map<number, { low: number; high: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Each partition of the topic against the active projection's checkpoints: its end, its stored
 * next offset and its event-time watermark. Nothing lies below the log's start: a checkpoint under
 * it (records removed by retention while no projector ran, and no batch since to move it) counts
 * as the start, or its lag would never drain and the sweeper would wait on it for good.
 */
export async function partitionPositions(kafka: Kafka, db: DataSource, topic: string, consumer: string): Promise<(PartitionPosition & { partition: number })[]> {
  const [offsets, schema] = await Promise.all([topicOffsets(kafka, topic), activeSchema(db)]);
  const stored = await readProgress((text, params) => db.query(text, params), schema, consumer, topic);
  return [...offsets].map(([partition, { low, high }]) => {
    const p = stored.get(partition);
    return { partition, end: high, next: Math.max(p?.nextOffset ?? 0, low), appliedUntil: p?.appliedUntil ?? null };
  });
}

/**
 * The event time up to which the active projection holds every event of the topic (appliedHorizon).
 * It asks the broker every time: a sweep that cannot know how far the projection is does not run.
 */
export async function topicAppliedHorizon(kafka: Kafka, db: DataSource, topic: string, consumer: string): Promise<number> {
  return appliedHorizon(await partitionPositions(kafka, db, topic, consumer));
}
