import { ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { createKafka, publishEvents } from '@casestats/source-kafka';
import { sweepDueCases } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import { simulate, WireEvent } from '@casestats/simulator';
import {
  CASESTATS_BIN,
  REPO_ROOT,
  SCENARIOS_FILE,
  FAR_FUTURE,
  TestDatabase,
  cleanRunTables,
  createMigratedDatabase,
  projectionTables,
  createTopic,
  ensureKafka,
  expectedCases,
  scenarioLines,
  testKafka,
  uniqueTopic,
} from '@casestats/testing';
import { RunningProjector, startProjector } from '@casestats/projector-app';

const quiet = () => undefined;

async function migrated(prefix: string): Promise<{ db: TestDatabase; ds: DataSource }> {
  const db = await createMigratedDatabase(prefix);
  return { db, ds: db.dataSource };
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Kafka projector against a real broker and PostgreSQL', () => {
  let brokers: string[];
  beforeAll(async () => {
    ({ brokers } = await ensureKafka());
  }, 300_000);

  describe('the shared fixtures through Kafka', () => {
    let db: TestDatabase;
    let ds: DataSource;
    let running: RunningProjector;
    const topic = uniqueTopic('fixtures');
    beforeAll(async () => {
      ({ db, ds } = await migrated('cs_kfix'));
      await createTopic(brokers, topic, 3);
      const producer = testKafka(brokers).producer();
      await producer.connect();
      const lines = scenarioLines();
      const poison = ['{not json', JSON.stringify({ id: 'p-1', type: 'userChat.teleported', occurredAt: '2025-07-01T00:00:00Z', channelId: 'ch-1', userChatId: 'uc-basic', data: {} }), JSON.stringify({ id: 'p-2', type: 'userChat.opened', version: 2, occurredAt: '2025-07-01T00:00:00Z', channelId: 'ch-1', data: { assignment: 'auto' } })];
      await producer.send({
        topic,
        messages: [
          ...lines.map((l) => {
            const e = JSON.parse(l);
            return { key: e.userChatId ?? e.data.user.id, value: l };
          }),
          ...poison.map((value) => ({ key: 'uc-basic', value })),
          // The same event again at another offset: at-least-once delivery.
          { key: 'uc-v1', value: lines.find((l) => l.includes('"uc-v1-e4"'))! },
        ],
      });
      await producer.disconnect();
      const config = loadConfig({ DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-g`, SWEEP_INTERVAL_MS: '200', SWEEP_GRACE_MS: '0' });
      running = await startProjector(config, ds, quiet, 0);
    }, 120_000);
    afterAll(async () => {
      await running?.close();
      await ds?.destroy();
      await db?.drop();
    });

    it('projects exactly the expected records, completes closed cases by time, and dead-letters the poison', async () => {
      const health = await until(async () => (await fetch(`${running.url}/health`)).json() as Promise<{ lag: number; status: string }>, (h) => h.lag === 0);
      expect(health.status).toBe('ok');
      await until(async () => (await ds.query(`SELECT count(*)::int AS n FROM proj_1.case_records WHERE case_state = 'completed'`))[0].n, (n) => n >= 5);
      const rows = await ds.query(`SELECT user_chat_case_id, case_state, case_updated_at, reply_count, total_reply_time FROM proj_1.case_records ORDER BY 1`);
      const expected = expectedCases().map((e) => ({
        user_chat_case_id: e.userChatCaseId,
        case_state: e.userChatCaseState,
        case_updated_at: new Date(String(e.userChatCaseUpdatedAt)),
        reply_count: e.replyCount,
        total_reply_time: e.totalReplyTime,
      }));
      expect(rows).toEqual(expected.sort((a, b) => String(a.user_chat_case_id).localeCompare(String(b.user_chat_case_id))));

      // Same records as the file path, column for column.
      const { db: fileDb, ds: fileDs } = await migrated('cs_kfile');
      await projectNdjsonFile(fileDs, 'proj_1', SCENARIOS_FILE);
      await sweepDueCases(fileDs, 'proj_1', FAR_FUTURE);
      expect(await projectionTables(ds)).toBe(await projectionTables(fileDs));
      await fileDs.destroy();
      await fileDb.drop();

      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toMatch(/casestats_events_applied_total 57/);
      expect(metrics).toMatch(/casestats_duplicates_total 4/);
      expect(metrics).toMatch(/casestats_dead_letters_total 3/);

      const dlq: { reason: string; offset: string; value: string }[] = [];
      const consumer = testKafka(brokers).consumer({ groupId: `${topic}-dlq-reader` });
      await consumer.connect();
      await consumer.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            dlq.push({ reason: String(message.headers?.['x-dlq-reason']), offset: String(message.headers?.['x-source-offset']), value: String(message.value) });
            if (dlq.length === 3) resolve();
          },
        });
      });
      await consumer.disconnect();
      expect(dlq.map((d) => d.reason).sort()).toEqual([
        expect.stringMatching(/^not valid UTF-8 JSON/),
        expect.stringMatching(/^type: unknown event type "userChat.teleported"/),
        expect.stringMatching(/^userChatId: expected a string/),
      ]);
      expect(dlq.some((d) => d.value === '{not json')).toBe(true);
    }, 120_000);
  });

  describe('crash safety', () => {
    let db: TestDatabase;
    let ds: DataSource;
    const topic = uniqueTopic('crash');
    const events: WireEvent[] = [...simulate({ chats: 1200, seed: 99, days: 20 })];

    beforeAll(async () => {
      ({ db, ds } = await migrated('cs_kcrash'));
      await createTopic(brokers, topic, 3);
    });
    afterAll(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    it('SIGKILLed at random moments while the stream is produced, then restarted: the same records as one clean run', async () => {
      const env = { ...process.env, DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-g`, PROJECTOR_PORT: '0', SWEEP_INTERVAL_MS: '1000000' };
      const start = (): ChildProcess => spawn(process.execPath, [CASESTATS_BIN, 'projector'], { cwd: REPO_ROOT, env, stdio: 'ignore' });
      let child = start();
      const publishing = publishEvents(createKafka(brokers, 'crash-test'), topic, events, 500);
      for (let kill = 0; kill < 3; kill++) {
        await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2500));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        child = start();
      }
      await publishing;
      const admin = new Client({ connectionString: db.url });
      await admin.connect();
      const ends = await testKafka(brokers).admin();
      await ends.connect();
      const high = (await ends.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
      await ends.disconnect();
      await until(async () => Number((await admin.query(`SELECT coalesce(sum(next_offset), 0) AS n FROM proj_1.checkpoints`)).rows[0].n), (n) => n === high, 120_000);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await admin.end();
      await sweepDueCases(ds, 'proj_1', FAR_FUTURE);

      const [crashed, clean] = [await projectionTables(ds), await cleanRunTables(events)];
      expect(crashed.length).toBeGreaterThan(100_000);
      expect(crashed).toBe(clean);
    }, 300_000);
  });
});
