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

/** Snapshots a covered horizon keeps while the projection is behind (one a sweep); the oldest are kept. */
const MAX_PENDING_SNAPSHOTS = 64;

/**
 * The sweeper's horizon: the latest wall-clock time `at` such that every event in the topic at
 * `at` has been applied. Each call notes the time and every partition's end, and gives the time of
 * the latest such note every partition's checkpoint has since reached (-Infinity before any).
 * Unlike an event-time watermark it assumes nothing about the order of event times inside a
 * partition: a chat whose partition still holds an unapplied event is never swept on the strength
 * of later times that came before it. An event published after `at` but dated more than the grace
 * before it is late, as for the wall-clock rule.
 */
export function coveredHorizon(kafka: Kafka, db: DataSource, topic: string, consumer: string, now: () => number): () => Promise<number> {
  let covered = -Infinity;
  const pending: { at: number; ends: Map<number, number> }[] = [];
  return async () => {
    const at = now();
    // Read after `at`: the ends can only be later than they were then, which makes the note stricter.
    const positions = await partitionPositions(kafka, db, topic, consumer);
    if (pending.length >= MAX_PENDING_SNAPSHOTS) pending.pop();
    pending.push({ at, ends: new Map(positions.map((p) => [p.partition, p.end])) });
    const next = new Map(positions.map((p) => [p.partition, p.next]));
    for (let oldest = pending[0]; oldest && [...oldest.ends].every(([partition, end]) => (next.get(partition) ?? 0) >= end); oldest = pending[0]) {
      covered = oldest.at;
      pending.shift();
    }
    return covered;
  };
}
