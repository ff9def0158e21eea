import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@casestats/config';
import { RunningProjector, startProjector } from '@casestats/projector-app';
import { CASESTATS_BIN, REPO_ROOT, createMigratedDatabase, createTopic, ensureKafka, runCasestats, testKafka, uniqueTopic } from '@casestats/testing';

// Issue 22: one poison byte must not stop a partition (1), a failing partition shows in /health
// (1), completion by time must not trust event time to grow within a partition (7), and a
// restarted projector says it is rejoining while the group waits for the dead member (11).

const quiet = () => undefined;
const MIN = 60_000;

interface Health {
  status: string;
  lag: number;
  failing?: { partition: number; since: string; failures: number; error: string }[];
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const health = async (url: string) => {
  const res = await fetch(`${url}/health`);
  return { http: res.status, ...((await res.json()) as Health) };
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const event = (chat: string, n: number, type: string, at: number, data: object = {}) => ({
  key: chat,
  value: JSON.stringify({ id: `${chat}-${n}`, type, version: 2, occurredAt: new Date(at).toISOString(), channelId: 'ch-h', userChatId: chat, data }),
});

/** Makes every batch of `partition` that would move its checkpoint past `offset` fail in PostgreSQL. */
async function blockPast(ds: { query(sql: string): Promise<unknown> }, partition: number, offset: number): Promise<void> {
  await ds.query(`CREATE OR REPLACE FUNCTION proj_1.block_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.partition = ${partition} AND NEW.next_offset > ${offset} THEN RAISE EXCEPTION 'test fault: partition ${partition} held'; END IF;
      RETURN NEW;
    END $$`);
  await ds.query(`CREATE TRIGGER block_checkpoint BEFORE UPDATE ON proj_1.checkpoints FOR EACH ROW EXECUTE FUNCTION proj_1.block_checkpoint()`);
}

async function unblock(ds: { query(sql: string): Promise<unknown> }): Promise<void> {
  await ds.query(`DROP TRIGGER block_checkpoint ON proj_1.checkpoints`);
}

describe('projector hardening', () => {
  let brokers: string[];
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    ({ brokers } = await ensureKafka());
    db = await createMigratedDatabase('cs_khard');
  }, 300_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await db?.drop();
  });

  it('casestats project: a valid line then a line of only NUL applies the valid one, dead-letters the other, exits 0', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cs-nul-')), 'nul.ndjson');
    const valid = event('fn-1', 1, 'userChat.queued', Date.parse('2025-07-01T00:00:00Z')).value;
    writeFileSync(file, Buffer.concat([Buffer.from(`${valid}\n`), Buffer.from([0x00]), Buffer.from('\n')]));
    const result = await runCasestats(['project', '--events', file], { DATABASE_URL: db.url });
    expect(result.stderr).not.toMatch(/0x00|UTF8/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^1 applied, 0 duplicate, 1 invalid/m);
    const [record] = await db.dataSource.query(`SELECT user_chat_case_id FROM proj_1.case_records WHERE user_chat_id = 'fn-1'`);
    expect(record).toEqual({ user_chat_case_id: 'fn-1-1' });
    const [letter] = await db.dataSource.query(`SELECT position, code, reason, raw FROM dead_letters WHERE source = 'file:nul.ndjson'`);
    expect(letter).toMatchObject({ position: '2', code: 'EVENT.INVALID_JSON', reason: 'not valid UTF-8 JSON: unexpected character U+0000' });
    expect(Buffer.compare(letter.raw, Buffer.from([0]))).toBe(0);
  }, 120_000);

  describe('through Kafka', () => {
    let running: RunningProjector | undefined;
    afterAll(async () => {
      await running?.close();
    });

    it('poison messages between valid ones are dead-lettered and the partition moves on; a partition that keeps failing makes /health degraded, and a case of its chats is not completed by a later time seen before an earlier event', async () => {
      const topic = uniqueTopic('hard');
      await createTopic(brokers, topic, 2);
      const config = loadConfig({ DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-g`, SWEEP_INTERVAL_MS: '3600000' });
      const producer = testKafka(brokers).producer();
      await producer.connect();
      const t = Date.now() - 10 * 60 * MIN;
      const control = new Uint8Array(900_000).map((_, i) => i % 32);
      // Partition 0: a chat around two poison values. Partition 1: chat A closes at t + 10 min,
      // then chat B's events dated hours later (event time goes back after them).
      await producer.send({
        topic,
        messages: [
          { ...event('p0', 1, 'userChat.queued', t), partition: 0 },
          { key: 'p0', value: Buffer.from([0]), partition: 0 },
          { key: 'p0', value: Buffer.from(control), partition: 0 },
          { ...event('p0', 2, 'userChat.opened', t + MIN, { assignment: 'auto' }), partition: 0 },
          { ...event('a', 1, 'userChat.queued', t), partition: 1 },
          { ...event('a', 2, 'userChat.opened', t + MIN, { assignment: 'auto' }), partition: 1 },
          { ...event('a', 3, 'userChat.closed', t + 10 * MIN), partition: 1 },
          { ...event('b', 1, 'userChat.queued', t + 8 * 60 * MIN), partition: 1 },
          { ...event('b', 2, 'userChat.opened', t + 8 * 60 * MIN + MIN, { assignment: 'auto' }), partition: 1 },
        ],
      });
      running = await startProjector(config, db.dataSource, quiet, 0);
      const url = running.url;
      const caughtUp = await until(() => health(url), (h) => h.status === 'ok' && h.lag === 0);
      expect(caughtUp.http).toBe(200);
      const p0 = await db.dataSource.query(`SELECT user_chat_state FROM proj_1.case_records WHERE user_chat_id = 'p0'`);
      expect(p0).toEqual([{ user_chat_state: 'open' }]);
      const letters = await db.dataSource.query(`SELECT position, code, reason, length(raw) AS bytes FROM dead_letters WHERE source = $1 ORDER BY position`, [`kafka:${topic}/0`]);
      expect(letters).toEqual([
        { position: '1', code: 'EVENT.INVALID_JSON', reason: 'not valid UTF-8 JSON: unexpected character U+0000', bytes: 1 },
        { position: '2', code: 'EVENT.INVALID_JSON', reason: 'not valid UTF-8 JSON: unexpected character U+0000', bytes: 900_000 },
      ]);

      // Partition 1 cannot move past offset 5 (a fault in PostgreSQL) while A's CSAT, dated before
      // B's events, waits there.
      await blockPast(db.dataSource, 1, 5);
      try {
        await producer.send({ topic, messages: [{ ...event('a', 4, 'userChat.profileUpdated', t + 30 * MIN, { profile: { csat: 5 } }), partition: 1 }] });
        const degraded = await until(() => health(url), (h) => h.status === 'degraded' && (h.failing?.[0]?.failures ?? 0) >= 2);
        expect(degraded.http).toBe(503);
        expect(degraded.failing).toEqual([{ partition: 1, since: expect.any(String), failures: expect.any(Number), error: expect.stringContaining('test fault: partition 1 held'), retryInMs: expect.any(Number) }]);
        expect(Date.parse(degraded.failing![0].since)).toBeLessThanOrEqual(Date.now());
        // By B's times, A's window (t + 70 min) has long passed; but its partition still holds an event of it.
        await running.sweep();
        const [held] = await db.dataSource.query(`SELECT case_state, profile FROM proj_1.case_records WHERE user_chat_id = 'a'`);
        expect(held).toEqual({ case_state: 'inProgress', profile: {} });
      } finally {
        await unblock(db.dataSource);
      }
      const recovered = await until(() => health(url), (h) => h.status === 'ok' && h.lag === 0);
      expect(recovered.failing).toBeUndefined();
      await running.sweep();
      const [completed] = await db.dataSource.query(`SELECT case_state, profile FROM proj_1.case_records WHERE user_chat_id = 'a'`);
      expect(completed).toEqual({ case_state: 'completed', profile: { csat: 5 } });
      await producer.disconnect();
    }, 120_000);

    it('after a SIGKILL, the restarted projector reports rejoining until the group gives it its partitions, within about the session timeout', async () => {
      await running?.close();
      running = undefined;
      const topic = uniqueTopic('rejoin');
      await createTopic(brokers, topic, 2);
      const [port, port2] = [await freePort(), await freePort()];
      const env = { DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-g` };
      const child = spawn(process.execPath, [CASESTATS_BIN, 'projector'], { cwd: REPO_ROOT, env: { ...process.env, ...env, PROJECTOR_PORT: String(port) }, stdio: 'ignore' });
      children.push(child);
      const first = `http://127.0.0.1:${port}`;
      await until(() => health(first).catch(() => ({ http: 0, status: 'down', lag: -1 })), (h) => h.status === 'ok');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const killedAt = Date.now();
      // The new member answers /health while it waits to join (startProjector returns once it has joined).
      const starting = startProjector(loadConfig(env), db.dataSource, quiet, port2);
      starting.catch(() => undefined);
      const url = `http://127.0.0.1:${port2}`;
      const waiting = await until(() => health(url).catch(() => ({ http: 0, status: 'down', lag: -1 })), (h) => h.http !== 0, 30_000);
      expect(waiting).toMatchObject({ http: 503, status: 'rejoining' });
      running = await starting;
      await until(() => health(url), (h) => h.status === 'ok', 30_000);
      // The group dropped the dead member after its session timeout (10 s), not kafkajs's default 30 s.
      expect(Date.now() - killedAt).toBeLessThan(20_000);
    }, 120_000);
  });
});
