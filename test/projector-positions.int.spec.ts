import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { KafkaProjector, Log, createKafka, publishEvents, rebuildProjection } from '@casestats/source-kafka';
import { sweepDueCases } from '@casestats/read-model';
import { WireEvent, simulate, wireKey } from '@casestats/simulator';
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
      return (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) })).sort((x, y) => x.partition - y.partition);
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

  it('a failed read of the checkpoints during a rebalance is retried: no crash, nothing lost or applied twice', async () => {
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
      await until('a failed reposition, then its retry', async () => logged.filter((l) => l.fields?.code === 'PROJECTOR.REPOSITION_FAILED').length >= 2);
      // Unsought, kafkajs reads from its own position (the beginning): what the checkpoint covers is
      // skipped, and the tables below match a clean run.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      healed = true;
    }
    const high = (await ends(topic)).reduce((s, p) => s + p.high, 0);
    await until('the second half', async () => (await storedSum(ds, topic)) === high);
    await second.stop();
    await sweepDueCases(ds, 'proj_1', FAR_FUTURE);
    expect(await projectionTables(ds)).toBe(await cleanRunTables(events));
  }, 180_000);

  const wire = (events: WireEvent[], partition?: number) => events.map((e) => ({ key: wireKey(e), value: JSON.stringify(e), partition }));
  const tables = async (ds: DataSource, schema: string) => {
    await sweepDueCases(ds, schema, FAR_FUTURE);
    return projectionTables(ds, schema);
  };

  it('transaction markers and aborted transactions: the live projector and a rebuild move past them to the end', async () => {
    const topic = uniqueTopic('txn');
    await createTopic(brokers, topic, 1);
    const events = [...simulate({ chats: 60, seed: 8, days: 3 })];
    const [a, b, c] = [Math.floor(events.length / 3), Math.floor((2 * events.length) / 3), events.length];
    const ds = await migrated('cs_txn');
    const logged: Logged[] = [];
    const live = await start(ds, topic, (level, msg, fields) => logged.push({ level, msg, fields }));
    const producer = testKafka(brokers).producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const transaction = async (batch: WireEvent[], commit: boolean) => {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: wire(batch) });
      await (commit ? tx.commit() : tx.abort());
    };
    const high = async () => (await ends(topic))[0].high;
    try {
      // Committed: its marker follows its last message. The live projector takes it in first.
      await transaction(events.slice(0, a), true);
      await until('the first transaction', async () => (await storedSum(ds, topic)) === (await high()), 30_000);
      // Aborted: messages kafkajs filters out, then a marker; then committed ones after them.
      await transaction(events.slice(a, b), false);
      await transaction(events.slice(a, b), true);
      await transaction(events.slice(b, c), true);
      await until('the end of the topic (it ends in a marker)', async () => (await storedSum(ds, topic)) === (await high()), 30_000);
    } finally {
      await producer.disconnect();
    }
    await live.stop();
    const clean = await cleanRunTables(events);
    expect(await tables(ds, 'proj_1')).toBe(clean);

    const rebuilt = await rebuildProjection({ kafka: createKafka(brokers, 'positions-test'), db: ds, topic, groupId: `${topic}-g`, log: () => undefined, maxBatchBytes: 8 * 1024 });
    expect(rebuilt).toMatchObject({ schema: 'proj_2' });
    expect(await storedSum(ds, topic, 'proj_2')).toBe(await high());
    expect(await tables(ds, 'proj_2')).toBe(clean);
  }, 180_000);

  it('records removed by retention: the live projector goes on at the earliest offset, a rebuild finishes at emptied partitions', async () => {
    const topic = uniqueTopic('retention');
    await createTopic(brokers, topic, 2);
    const events = [...simulate({ chats: 60, seed: 9, days: 3 })];
    const [a, b] = [Math.floor(events.length / 3), Math.floor((2 * events.length) / 3)];
    const ds = await migrated('cs_retention');
    const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // All events in partition 0; partition 1 holds only invalid records, removed later in full.
    await producer.send({ topic, acks: -1, messages: [...wire(events.slice(0, a), 0), ...['{x', '{y', '{z'].map((value) => ({ value, partition: 1 }))] });
    const first = await start(ds, topic);
    await until('the first part', async () => (await storedSum(ds, topic)) === (await ends(topic)).reduce((n, p) => n + p.high, 0));
    await first.stop();
    // The projector is away while records it has not applied are removed.
    await producer.send({ topic, acks: -1, messages: wire(events.slice(a), 0) });
    await producer.disconnect();
    const admin = testKafka(brokers).admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs it loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(b) }, { partition: 1, offset: '3' }] });
    await admin.disconnect();
    expect(await ends(topic)).toEqual([{ partition: 0, low: b, high: events.length }, { partition: 1, low: 3, high: 3 }]);

    const logged: Logged[] = [];
    const second = await start(ds, topic, (level, msg, fields) => logged.push({ level, msg, fields }));
    await until('the end of the topic', async () => (await storedSum(ds, topic)) === events.length + 3, 30_000);
    await second.stop();
    expect(logged.filter((l) => l.fields?.code === 'PROJECTOR.RECORDS_REMOVED').map((l) => l.fields)).toEqual([
      expect.objectContaining({ partition: 0, storedNextOffset: a, fetchedOffset: b, earliestOffset: b, lost: b - a }),
    ]);
    expect(await tables(ds, 'proj_1')).toBe(await cleanRunTables([...events.slice(0, a), ...events.slice(b)]));

    const rebuilt = rebuildProjection({ kafka: createKafka(brokers, 'positions-test'), db: ds, topic, groupId: `${topic}-g`, log: () => undefined });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('the rebuild did not finish')), 30_000).unref());
    expect(await Promise.race([rebuilt, timeout])).toMatchObject({ schema: 'proj_2' });
    expect(await tables(ds, 'proj_2')).toBe(await cleanRunTables(events.slice(b)));
  }, 180_000);
});
