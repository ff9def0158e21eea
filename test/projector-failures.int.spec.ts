import { ChildProcess, spawn } from 'node:child_process';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { createKafka, publishEvents } from '@casestats/source-kafka';
import { sweepDueCases } from '@casestats/read-model';
import { simulate } from '@casestats/simulator';
import {
  CASESTATS_BIN,
  FAR_FUTURE,
  REPO_ROOT,
  cleanRunTables,
  createMigratedDatabase,
  createTopic,
  ensureKafka,
  projectionTables,
  restartKafka,
  stopKafka,
  testKafka,
  uniqueTopic,
} from '@casestats/testing';

// A broker of its own, so that restarting it disturbs no other test.
const PORT = 9192;

describe('projector failures: rebalances, a broker restart, lost database connections', () => {
  let brokers: string[];
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let ds: DataSource;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ({ brokers } = await ensureKafka(PORT));
    db = await createMigratedDatabase('cs_kfail');
    ds = db.dataSource;
  }, 300_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await ds?.destroy();
    await db?.drop();
    await stopKafka(PORT);
  }, 120_000);

  it('two instances in one group, one added and one killed mid-stream, a broker restart and killed connections: identical to a clean run', async () => {
    const topic = uniqueTopic('failures');
    await createTopic(brokers, topic, 4);
    const events = [...simulate({ chats: 1000, seed: 7, days: 20 })];
    const env = { ...process.env, DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-g`, PROJECTOR_PORT: '0', SWEEP_INTERVAL_MS: '1000000' };
    const start = () => {
      const child = spawn(process.execPath, [CASESTATS_BIN, 'projector'], { cwd: REPO_ROOT, env, stdio: 'ignore' });
      children.push(child);
      return child;
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const first = start();
    const half = Math.floor(events.length / 2);
    await publishEvents(createKafka(brokers, 'failures'), topic, events.slice(0, half), 500);
    await sleep(2000);
    const second = start(); // a rebalance: partitions move to the newcomer
    await sleep(3000);
    first.kill('SIGKILL'); // another rebalance, with a batch possibly in flight
    await restartKafka(PORT); // the broker goes away and comes back with its data
    await publishEvents(createKafka(brokers, 'failures'), topic, events.slice(half), 500);
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'casestats'`, [db.name]);
    }
    const k = testKafka(brokers).admin();
    await k.connect();
    const high = (await k.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
    await k.disconnect();
    const deadline = Date.now() + 150_000;
    for (;;) {
      const { rows } = await admin.query(`SELECT coalesce(sum(next_offset), 0) AS n FROM proj_1.checkpoints WHERE topic = $1`, [topic]);
      if (Number(rows[0].n) === high) break;
      if (Date.now() > deadline) throw new Error(`stuck at ${rows[0].n} of ${high}`);
      await sleep(300);
    }
    await admin.end();
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    await sweepDueCases(ds, 'proj_1', FAR_FUTURE);
    expect(await projectionTables(ds)).toBe(await cleanRunTables(events));
  }, 360_000);
});
