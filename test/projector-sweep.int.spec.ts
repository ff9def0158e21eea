import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@casestats/config';
import { createKafka, topicAppliedHorizon } from '@casestats/source-kafka';
import { startProjector } from '@casestats/projector-app';
import { appliedHorizon, startSweeper } from '@casestats/read-model';
import { createMigratedDatabase, createTopic, ensureKafka, testKafka, uniqueTopic } from '@casestats/testing';

const quiet = () => undefined;
const MIN = 60_000;

describe('the sweeper never runs ahead of the projection', () => {
  let brokers: string[];
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  beforeAll(async () => {
    ({ brokers } = await ensureKafka());
    db = await createMigratedDatabase('cs_ksweep');
  }, 300_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('weighs only partitions with events still to apply, each at its watermark', () => {
    expect(appliedHorizon([{ end: 5, next: 5, appliedUntil: 100 }])).toBe(Infinity);
    expect(appliedHorizon([{ end: 5, next: 5, appliedUntil: 100 }, { end: 9, next: 7, appliedUntil: 300 }, { end: 4, next: 2, appliedUntil: 200 }])).toBe(200);
    // Nothing applied yet from a partition with events: no case may be completed by time.
    expect(appliedHorizon([{ end: 3, next: 0, appliedUntil: null }])).toBe(-Infinity);
  });

  it('keeps a closed case in progress while a later event of its chat waits in the topic, then completes it with that event', async () => {
    const topic = uniqueTopic('sweep');
    await createTopic(brokers, topic, 1);
    const groupId = `${topic}-g`;
    // Closed at t + 10 min, three hours ago: by the wall clock alone, long due.
    const t = Date.now() - 3 * 60 * MIN;
    const event = (n: number, type: string, at: number, data: object = {}) => ({
      key: 's1',
      value: JSON.stringify({ id: `s1-${n}`, type, version: 2, occurredAt: new Date(at).toISOString(), channelId: 'ch-s', userChatId: 's1', data }),
    });
    const producer = testKafka(brokers).producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [event(1, 'userChat.queued', t), event(2, 'userChat.opened', t + MIN, { assignment: 'auto' }), event(3, 'userChat.closed', t + 10 * MIN)],
    });
    const config = loadConfig({ DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: groupId, SWEEP_INTERVAL_MS: '3600000' });
    const record = async () =>
      (await db.dataSource.query(`SELECT case_state, profile FROM proj_1.case_records WHERE user_chat_id = 's1'`))[0] as { case_state: string; profile: object };
    const appliedTo = async (n: number) => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        const [row] = await db.dataSource.query(`SELECT next_offset FROM proj_1.checkpoints WHERE topic = $1`, [topic]);
        if (Number(row?.next_offset) >= n) return;
      }
      throw new Error(`offset ${n} not applied`);
    };

    let running = await startProjector(config, db.dataSource, quiet, 0);
    await appliedTo(3);
    await running.close();
    // While no projector runs, the CSAT of the closed case arrives (an attribute event, which a
    // case mirrors until it is completed).
    await producer.send({ topic, messages: [event(4, 'userChat.profileUpdated', t + 30 * MIN, { profile: { csat: 5 } })] });
    const kafka = createKafka(brokers, 'sweep-test');
    expect(await topicAppliedHorizon(kafka, db.dataSource, topic, groupId)).toBe(t + 10 * MIN);
    const reports: number[] = [];
    const sweeper = startSweeper(
      db.dataSource,
      { intervalMs: 3_600_000, graceMs: config.projector.sweepGraceMs, horizon: () => topicAppliedHorizon(kafka, db.dataSource, topic, groupId) },
      Date.now,
      (completed, error) => reports.push(error ? -1 : completed),
    );
    await sweeper.sweep();
    sweeper.stop();
    expect(reports).toEqual([0]);
    expect(await record()).toEqual({ case_state: 'inProgress', profile: {} });

    // The projector comes back, applies the CSAT, and its own sweep (caught up: the wall clock) completes the case with it.
    running = await startProjector(config, db.dataSource, quiet, 0);
    await appliedTo(4);
    expect(await topicAppliedHorizon(kafka, db.dataSource, topic, groupId)).toBe(Infinity);
    await running.sweep();
    await running.close();
    await producer.disconnect();
    expect(await record()).toEqual({ case_state: 'completed', profile: { csat: 5 } });
  }, 120_000);

  it('waits for no partition whose unapplied records retention removed: nothing lies below the log start', async () => {
    const topic = uniqueTopic('sweep-retention');
    await createTopic(brokers, topic, 1);
    const groupId = `${topic}-g`;
    const producer = testKafka(brokers).producer();
    await producer.connect();
    await producer.send({ topic, messages: [1, 2, 3].map((n) => ({ key: 'r1', value: `{"n":${n}}` })) });
    await producer.disconnect();
    // Applied up to offset 1, then the projector was away while retention removed offsets 0-2.
    await db.dataSource.query(`INSERT INTO proj_1.checkpoints (consumer, topic, partition, next_offset, applied_until) VALUES ($1, $2, 0, 1, now())`, [groupId, topic]);
    const kafka = createKafka(brokers, 'sweep-retention-test');
    const behind = await topicAppliedHorizon(kafka, db.dataSource, topic, groupId);
    expect(behind).toBeLessThanOrEqual(Date.now());
    const admin = kafka.admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] });
    await admin.disconnect();
    expect(await topicAppliedHorizon(kafka, db.dataSource, topic, groupId)).toBe(Infinity);
  }, 60_000);
});
