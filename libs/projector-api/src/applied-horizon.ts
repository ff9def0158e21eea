import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { activeSchema, appliedHorizon, readProgress } from '@casestats/read-model';

/**
 * The event time up to which the active projection holds every event of the topic (appliedHorizon):
 * the log's ends from the broker, set against the checkpoints and their watermarks. It asks the
 * broker every time: a sweep that cannot know how far the projection is does not run.
 */
export async function topicAppliedHorizon(kafka: Kafka, db: DataSource, topic: string, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [ends, schema] = await Promise.all([admin.fetchTopicOffsets(topic), activeSchema(db)]);
    const stored = await readProgress((text, params) => db.query(text, params), schema, groupId, topic);
    return appliedHorizon(
      ends.map((e) => {
        const p = stored.get(e.partition);
        // Nothing lies below the log's start: a checkpoint under it (records removed by retention
        // while no projector ran, and no batch since to move it) waits for nothing.
        const next = Math.max(p?.nextOffset ?? 0, Number(e.low));
        return { end: Number(e.high), next, appliedUntil: p?.appliedUntil ?? null };
      }),
    );
  } finally {
    await admin.disconnect();
  }
}
