import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const SCRIPT = resolve(__dirname, '../../../scripts/kafka.sh');
const run = promisify(execFile);

async function kafkaScript(command: 'start' | 'stop', port: number): Promise<void> {
  await run('bash', [SCRIPT, command], { env: { ...process.env, KAFKA_PORT: String(port) }, timeout: 300_000 });
}

/** The real broker of scripts/kafka.sh on 127.0.0.1:port, started if it is not answering. */
export async function ensureKafka(port = 9092): Promise<{ brokers: string[] }> {
  await kafkaScript('start', port);
  return { brokers: [`127.0.0.1:${port}`] };
}

export async function stopKafka(port = 9092): Promise<void> {
  await kafkaScript('stop', port);
}

/** Stops and starts the broker, keeping its data: for "the broker went away" tests. */
export async function restartKafka(port = 9092): Promise<void> {
  await stopKafka(port);
  await ensureKafka(port);
}

export function uniqueTopic(prefix = 'test'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function testKafka(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'casestats-test', brokers, logLevel: logLevel.NOTHING });
}

export async function createTopic(brokers: string[], topic: string, partitions = 3): Promise<void> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
