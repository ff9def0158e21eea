import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { createKafka, publishEvents, rebuildProjection } from '@casestats/source-kafka';
import { startProjector } from '@casestats/projector-app';
import { activeSchema, createDataSource, migrate, sweepDueCases } from '@casestats/read-model';
import { simulate, wireKey } from '@casestats/simulator';
import { FAR_FUTURE, TestDatabase, cleanRunTables, createTestDatabase, createTopic, ensureKafka, projectionTables, testKafka, uniqueTopic } from '@casestats/testing';

describe('rebuild: replay into a fresh projection while the live one serves, then switch', () => {
  let brokers: string[];
  const dbs: TestDatabase[] = [];
  const sources: DataSource[] = [];
  const migrated = async (prefix: string) => {
    const db = await createTestDatabase(prefix);
    const ds = createDataSource(db.url);
    await ds.initialize();
    await migrate(ds);
    dbs.push(db);
    sources.push(ds);
    return { db, ds };
  };
  beforeAll(async () => {
    ({ brokers } = await ensureKafka());
  }, 300_000);
  afterAll(async () => {
    for (const ds of sources) await ds.destroy().catch(() => undefined);
    for (const db of dbs) await db.drop();
  });

  it('gives the same records as the live projection, with events produced during the rebuild', async () => {
    const topic = uniqueTopic('rebuild');
    await createTopic(brokers, topic, 3);
    const events = [...simulate({ chats: 800, seed: 11, days: 20 })];
    const half = Math.floor(events.length / 2);
    const { db, ds } = await migrated('cs_rebuild');
    const config = loadConfig({ DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-g`, SWEEP_INTERVAL_MS: '1000000' });
    const live = await startProjector(config, ds, () => undefined, 0);
    const kafka = createKafka(brokers, 'rebuild-test');
    await publishEvents(kafka, topic, events.slice(0, half), 500);
    const until = async (what: string, ok: () => Promise<boolean>) => {
      const end = Date.now() + 120_000;
      while (!(await ok())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await until('the live projector to catch up', async () => (await live.projector.lag()).lag === 0);
    expect(await activeSchema(ds)).toBe('proj_1');

    const [rebuilt] = await Promise.all([
      // Small transactions: the replay must go through many per partition, not one.
      rebuildProjection({ kafka, db: ds, topic, groupId: `${topic}-g`, log: () => undefined, maxBatchBytes: 32 * 1024 }),
      publishEvents(kafka, topic, events.slice(half), 200),
    ]);
    expect(rebuilt).toMatchObject({ schema: 'proj_2', previous: 'proj_1' });
    expect(await activeSchema(ds)).toBe('proj_2');

    const admin = testKafka(brokers).admin();
    await admin.connect();
    const high = (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
    await admin.disconnect();
    await until('the live projector to continue in the new schema', async () => Number((await ds.query(`SELECT coalesce(sum(next_offset), 0) AS n FROM proj_2.checkpoints WHERE topic = $1`, [topic]))[0].n) === high);
    await live.close();
    await sweepDueCases(ds, 'proj_2', FAR_FUTURE);

    expect(await projectionTables(ds, 'proj_2')).toBe(await cleanRunTables(events));
  }, 300_000);

  it('a partition empty when the rebuild starts, written to during it: none of its events is lost in the new schema', async () => {
    const topic = uniqueTopic('rebuild-empty');
    await createTopic(brokers, topic, 2);
    const events = [...simulate({ chats: 600, seed: 12, days: 10 })];
    // By key, as the producer would: partition 1 gets a few chats' events, only once the rebuild has read the end offsets.
    const late = new Set([...new Set(events.map(wireKey))].slice(0, 40));
    const wire = (partition: number) => events.filter((e) => late.has(wireKey(e)) === (partition === 1)).map((e) => ({ key: wireKey(e), value: JSON.stringify(e), partition }));
    const { db, ds } = await migrated('cs_rebuild_empty');
    const config = loadConfig({ DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-g`, SWEEP_INTERVAL_MS: '1000000' });
    const live = await startProjector(config, ds, () => undefined, 0);
    const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = async (messages: ReturnType<typeof wire>) => {
      for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    };
    await send(wire(0));
    const stored = async (schema: string) =>
      new Map<number, number>((await ds.query(`SELECT partition, next_offset FROM ${schema}.checkpoints WHERE topic = $1`, [topic])).map((r: { partition: number; next_offset: string }) => [r.partition, Number(r.next_offset)]));
    const until = async (what: string, ok: () => Promise<boolean>) => {
      const end = Date.now() + 60_000;
      while (!(await ok())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const p0 = wire(0).length;
    await until('the live projector to catch up', async () => (await stored('proj_1')).get(0) === p0);

    let lateSent: Promise<unknown> = Promise.resolve();
    const rebuilt = await rebuildProjection({
      kafka: createKafka(brokers, 'rebuild-test'),
      db: ds,
      topic,
      groupId: `${topic}-g`,
      // Small transactions: the replay takes long enough for the live projector to apply partition 1 to the old schema.
      maxBatchBytes: 16 * 1024,
      log: (_level, msg) => {
        if (msg === 'rebuild started') lateSent = send(wire(1));
      },
    });
    await lateSent;
    await producer.disconnect();
    expect(rebuilt).toMatchObject({ schema: 'proj_2', previous: 'proj_1' });
    const p1 = wire(1).length;
    await until('the live projector to continue in the new schema', async () => (await stored('proj_2')).get(1) === p1 && (await stored('proj_2')).get(0) === p0);
    await live.close();
    await sweepDueCases(ds, 'proj_2', FAR_FUTURE);
    expect(await projectionTables(ds, 'proj_2')).toBe(await cleanRunTables(events));
  }, 300_000);
});
