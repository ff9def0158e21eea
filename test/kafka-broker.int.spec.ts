import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, ensureKafka, testKafka, uniqueTopic } from '@casestats/testing';

describe('the local Apache Kafka broker (scripts/kafka.sh)', () => {
  let brokers: string[];
  beforeAll(async () => {
    ({ brokers } = await ensureKafka());
  }, 300_000);
  afterAll(() => undefined);

  it('answers at once when it is already running', async () => {
    const started = Date.now();
    await ensureKafka();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('carries keyed messages from a producer to a consumer group', async () => {
    const topic = uniqueTopic('broker');
    await createTopic(brokers, topic, 3);
    const kafka = testKafka(brokers);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 7}`, value: `m${i}` })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${topic}-g` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value));
          if (seen.length === 100) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(seen.sort()).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`).sort());
  });
});
