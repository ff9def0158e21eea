import { Kafka, logLevel } from 'kafkajs';
import { WireEvent, wireKey } from '@casestats/simulator';

export function createKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.WARN, retry: { initialRetryTime: 300, retries: 12 } });
}

/** Publishes wire events keyed as the platform does (chat, or user for user.updated), in order, batched. */
export async function publishEvents(kafka: Kafka, topic: string, events: Iterable<WireEvent>, batchSize = 1000): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let sent = 0;
  try {
    let batch: { key: string; value: string }[] = [];
    for (const e of events) {
      batch.push({ key: wireKey(e), value: JSON.stringify(e) });
      if (batch.length === batchSize) {
        await producer.send({ topic, acks: -1, messages: batch });
        sent += batch.length;
        batch = [];
      }
    }
    if (batch.length) await producer.send({ topic, acks: -1, messages: batch });
    return sent + batch.length;
  } finally {
    await producer.disconnect();
  }
}
