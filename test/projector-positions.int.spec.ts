import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { KafkaProjector, Log, createKafka, publishEvents } from '@casestats/kafka-source';
import { sweepDueCases } from '@casestats/read-model';
import { simulate } from '@casestats/simulator';
import { FAR_FUTURE, cleanRunTables, createMigratedDatabase, createTopic, ensureKafka, projectionTables, testKafka, uniqueTopic } from '@casestats/testing';

type Logged = { level: string; msg: string; fields?: Record<string, unknown> };

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('projector positions: where each partition resumes, against the real broker', () => {
  let brokers: string[];
  const dbs: Awaited<ReturnType<typeof createMigratedDatabase>>[] = [];
  const projectors: KafkaProjector[] = [];
  beforeAll(async () => {
    ({ brokers } = await ensureKafka());
  }, 300_000);
  afterAll(async () => {
    for (const p of projectors) await p.stop().catch(() => undefined);
    for (const db of dbs) await db.drop();
  });

  const migrated = async (prefix: string) => {
    const db = await createMigratedDatabase(prefix);
    dbs.push(db);
    return db.dataSource;
  };
  const ends = async (topic: string) => {
    const admin = testKafka(brokers).admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) }));
    } finally {
      await admin.disconnect();
    }
  };
  const storedSum = async (ds: DataSource, topic: string, schema = 'proj_1') =>
    Number((await ds.query(`SELECT coalesce(sum(next_offset), 0) AS n FROM ${schema}.checkpoints WHERE topic = $1`, [topic]))[0].n);
  const start = async (ds: DataSource, topic: string, log: Log = () => undefined) => {
    const projector = new KafkaProjector({ kafka: createKafka(brokers, 'positions-test'), db: ds, topic, dlqTopic: `${topic}.dlq`, groupId: `${topic}-g`, log, applyThreads: 1 });
    projectors.push(projector);
    await projector.start();
    return projector;
  };

  it('a failed read of the checkpoints during a rebalance is retried, the partitions paused meanwhile: no crash, nothing lost or applied twice', async () => {
    const topic = uniqueTopic('reposition');
    await createTopic(brokers, topic, 2);
    const events = [...simulate({ chats: 120, seed: 5, days: 5 })];
    const half = Math.floor(events.length / 2);
    const ds = await migrated('cs_repos');
    const kafka = createKafka(brokers, 'positions-test');
    await publishEvents(kafka, topic, events.slice(0, half), 200);
    const first = await start(ds, topic);
    const firstHigh = (await ends(topic)).reduce((s, p) => s + p.high, 0);
    await until('the first half', async () => (await storedSum(ds, topic)) === firstHigh);
    await first.stop();
    await publishEvents(kafka, topic, events.slice(half), 200);

    // The database answers the start, then fails every read of the main thread (activeSchema,
    // the checkpoints) until healed: the group join's seek cannot happen.
    const query = ds.query.bind(ds);
    let calls = 0;
    let healed = false;
    ds.query = ((text: string, params?: unknown[]) =>
      ++calls > 1 && !healed ? Promise.reject(new Error('the database is away')) : query(text, params)) as DataSource['query'];
    const logged: Logged[] = [];
    const second = await start(ds, topic, (level, msg, fields) => logged.push({ level, msg, fields }));
    try {
      await until('a failed reposition', async () => logged.some((l) => l.fields?.code === 'PROJECTOR.REPOSITION_FAILED'));
      // Paused, not fetched from kafkajs's own position (the beginning): nothing moves meanwhile.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await query(`SELECT coalesce(sum(next_offset), 0)::int AS n FROM proj_1.checkpoints WHERE topic = $1`, [topic])).toEqual([{ n: firstHigh }]);
      expect(second.metrics.applied).toBe(0);
    } finally {
      healed = true;
    }
    const high = (await ends(topic)).reduce((s, p) => s + p.high, 0);
    await until('the second half', async () => (await storedSum(ds, topic)) === high);
    await second.stop();
    await sweepDueCases(ds, 'proj_1', FAR_FUTURE);
    expect(await projectionTables(ds)).toBe(await cleanRunTables(events));
  }, 180_000);
});
