import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka } from 'kafkajs';
import { simulate, wireKey } from '@casestats/simulator';

export interface KafkaFeedOptions {
  chats: number;
  seed: number;
  backfill: number;
  eventsPerSecond: number;
  signal: AbortSignal;
  onProgress?: (published: number) => void;
}

/**
 * The simulator publishing to Kafka, for `npm start` with KAFKA_BROKERS. Its position is the topic
 * itself: the messages already there are the part of the stream a previous start published.
 */
export async function runKafkaSimulatorFeed(kafka: Kafka, topic: string, opts: KafkaFeedOptions): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const existing = (await admin.listTopics()).includes(topic);
  const already = existing ? (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0) : 0;
  if (!existing) await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let offset = 0;
  let batch: { key: string; value: string }[] = [];
  try {
    for (const event of simulate({ chats: opts.chats, seed: opts.seed })) {
      if (opts.signal.aborted) break;
      if (offset++ < already) continue;
      batch.push({ key: wireKey(event), value: JSON.stringify(event) });
      const live = offset > opts.backfill;
      if (batch.length >= (live ? Math.max(1, Math.round(opts.eventsPerSecond / 4)) : 1000)) {
        await producer.send({ topic, acks: -1, messages: batch });
        batch = [];
        opts.onProgress?.(offset);
        if (live) await sleep(250, undefined, { signal: opts.signal }).catch(() => undefined);
      }
    }
    if (batch.length) await producer.send({ topic, acks: -1, messages: batch });
    return offset;
  } finally {
    await producer.disconnect();
  }
}
