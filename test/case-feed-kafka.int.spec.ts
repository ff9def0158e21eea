import { ChildProcess, spawn } from 'node:child_process';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { STORED_CASE_FIELDS } from '@casestats/case-projection';
import { createKafka, publishEvents } from '@casestats/source-kafka';
import { CaseSnapshot, EXPORT_CASE_FIELDS, createDataSource, readCaseFeed, type CaseFeedItem } from '@casestats/read-model';
import { simulate } from '@casestats/simulator';
import { CASESTATS_BIN, REPO_ROOT, createMigratedDatabase, createTopic, ensureKafka, testKafka, uniqueTopic } from '@casestats/testing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const caseUrl = (c: string, u: string) => `https://desk.example/${c}/${u}`;

/**
 * Issue 19's acceptance: a reader follows the feed in pages of 7 while two projector processes
 * (two apply threads each, their sweepers completing cases) ingest a real Kafka topic and are
 * SIGKILLed and restarted; it ends with exactly the records the export reads for the channel.
 */
describe('the case change feed during a Kafka ingest with SIGKILLed projectors', () => {
  let brokers: string[];
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let reader: DataSource;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    ({ brokers } = await ensureKafka());
    db = await createMigratedDatabase('cs_feedk');
    reader = createDataSource(db.url, { poolSize: 2 });
    await reader.initialize();
  }, 300_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await reader?.destroy();
    await db?.drop();
  }, 120_000);

  it('ends with the export snapshot of the channel, field by field; a completed case comes once more, never again', async () => {
    const topic = uniqueTopic('feed');
    await createTopic(brokers, topic, 3);
    const events = [...simulate({ chats: 800, seed: 19, days: 20, channels: 2 })];
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `${topic}-g`,
      PROJECTOR_PORT: '0',
      PROJECTOR_APPLY_THREADS: '2',
      SWEEP_INTERVAL_MS: '300',
      SWEEP_GRACE_MS: '0',
    };
    const start = () => {
      const child = spawn(process.execPath, [CASESTATS_BIN, 'projector'], { cwd: REPO_ROOT, env, stdio: 'ignore' });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    };

    // The reader: pages of 7, the latest item per case kept; it polls until told to stop and the feed is drained.
    const latest = new Map<string, CaseFeedItem>();
    const completedTwice: string[] = [];
    let items = 0;
    let stop = false;
    const follow = (async () => {
      let cursor: string | undefined;
      for (;;) {
        // Only a page begun after every write ended may end the reading: one begun before may miss the last.
        const draining = stop;
        const page = await readCaseFeed(reader, { channelId: 'ch-1', ...(cursor && { cursor }), limit: 7, caseUrl });
        expect(page.items.length).toBeLessThanOrEqual(7);
        expect(page.restarted).toBeUndefined();
        for (const item of page.items) {
          const id = item.userChatCaseId as string;
          if (latest.get(id)?.userChatCaseState === 'completed') completedTwice.push(id);
          expect(item.userChatId).toBe(id.slice(0, id.lastIndexOf('-')));
          latest.set(id, item);
        }
        items += page.items.length;
        cursor = page.nextCursor;
        if (!page.hasMore) {
          if (draining) return;
          await sleep(20);
        }
      }
    })();
    follow.catch(() => undefined); // awaited below; a failure ends the loop early

    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    /** Polls `probe` until it is true; a machine busy with other tests gets minutes, not a fixed pause. */
    const until = async (what: string, probe: () => Promise<boolean>, ms = 300_000) => {
      const deadline = Date.now() + ms;
      while (!(await probe())) {
        if (Date.now() > deadline) throw new Error(`waited ${ms / 1000} s for ${what}`);
        await sleep(200);
      }
    };
    const stored = async () =>
      Number((await admin.query(`SELECT coalesce(sum(next_offset), 0) AS n FROM proj_1.checkpoints WHERE topic = $1`, [topic])).rows[0].n);
    try {
      const projectors = [start(), start()];
      const quarter = Math.ceil(events.length / 4);
      for (let i = 0; i < 4; i++) {
        await publishEvents(createKafka(brokers, 'feed'), topic, events.slice(i * quarter, (i + 1) * quarter), 200);
        // Killed mid-ingest: once part of this quarter is stored, whatever the machine's speed.
        await until(`quarter ${i + 1} to be partly stored`, async () => (await stored()) >= i * quarter + quarter / 3);
        projectors[i % 2].kill('SIGKILL');
        projectors[i % 2] = start();
      }
      const k = testKafka(brokers).admin();
      await k.connect();
      const high = (await k.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
      await k.disconnect();
      await until('every event to be stored', async () => (await stored()) === high);
      // The sweepers complete what is due once every partition is caught up.
      await until(
        'the sweepers to complete every due case',
        async () => (await admin.query(`SELECT count(*)::int AS n FROM proj_1.chat_states WHERE completion_due_at < now()`)).rows[0].n === 0,
      );
      for (const p of projectors) p.kill('SIGTERM');
      await Promise.all(projectors.map((p) => (p.exitCode !== null ? null : new Promise((r) => p.once('exit', r)))));
    } finally {
      await admin.end();
    }
    stop = true;
    await follow;

    // The export's own read of the channel, in its snapshot.
    const snapshot = await CaseSnapshot.open(reader, 'proj_1', { channelId: 'ch-1', from: new Date('2000-01-01T00:00:00Z'), toExclusive: new Date('2100-01-01T00:00:00Z') });
    const expected = new Map<string, Record<string, unknown>>();
    try {
      for await (const batch of snapshot.exportRows()) {
        for (const row of batch) {
          const rec = Object.fromEntries(EXPORT_CASE_FIELDS.map((f, i) => [f, row[i]]));
          expected.set(rec.userChatCaseId as string, rec);
        }
      }
    } finally {
      await snapshot.close();
    }
    expect(expected.size).toBeGreaterThan(300);
    expect([...latest.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, rec] of expected) {
      const item = latest.get(id) as CaseFeedItem;
      const mine: Record<string, unknown> = {};
      const theirs: Record<string, unknown> = {};
      for (const f of STORED_CASE_FIELDS) {
        if (f.key === 'channelId' || f.key === 'profile') continue;
        const v = rec[f.key];
        theirs[f.key] = v === null || (f.key === 'tags' && v === '') ? null : f.kind === 'time' ? new Date(v as number).toISOString() : v;
        mine[f.key] = item[f.key];
      }
      const profile = rec.profile as Record<string, unknown>;
      for (const key of Object.keys(profile)) theirs[`profile.${key}`] = typeof profile[key] === 'number' ? profile[key] : String(profile[key]);
      for (const key of Object.keys(item)) if (key.startsWith('profile.') && item[key] !== null) mine[key] = item[key];
      expect(mine, id).toEqual(theirs);
    }
    expect([...expected.values()].filter((r) => r.userChatCaseState === 'completed').length).toBeGreaterThan(100);
    expect(completedTwice).toEqual([]);
    // More items than cases: cases came again as they changed during the ingest.
    expect(items).toBeGreaterThan(expected.size);
  }, 900_000);
});
