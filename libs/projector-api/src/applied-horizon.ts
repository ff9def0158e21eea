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
        return { end: Number(e.high), next: p?.nextOffset ?? Number(e.low), appliedUntil: p?.appliedUntil ?? null };
      }),
    );
  } finally {
    await admin.disconnect();
  }
}
