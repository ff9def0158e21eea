import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStatsEvent, parseEvent } from '@casestats/events';
import { createMigratedDatabase } from '@casestats/testing';
import { applyBatch, createApplyPool } from '@casestats/projection-write';
import { sweepDueCases } from './sweep';

const SCHEMA = 'proj_1';
let seq = 0;
function ev(chat: string, type: string, at: string, data: object = {}): CaseStatsEvent {
  const parsed = parseEvent(JSON.stringify({ id: `${chat}-${++seq}`, type, version: 2, occurredAt: at, channelId: 'ch-a', userChatId: chat, data }));
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.event;
}

describe('applyBatch and the sweeper against PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  const rows = async (chat: string) =>
    db.dataSource.query(
      `SELECT user_chat_case_id, case_state, case_updated_at, closed_at, tags FROM proj_1.case_records WHERE user_chat_id = $1 ORDER BY 1`,
      [chat],
    );
  beforeAll(async () => {
    db = await createMigratedDatabase('cs_apply');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores any dead letter: text PostgreSQL refuses (NUL, lone surrogates) and unbounded reasons are made safe, the bytes kept as they were', async () => {
    const raw = Buffer.from([0x00, 0x01, 0xff, 0x7b]);
    const key = { consumer: 'g', topic: 't-dl', partition: 0 };
    const stats = await applyBatch(db.dataSource, SCHEMA, {
      events: [],
      deadLetters: [{ source: 'kafka:t-dl/0', position: '0', code: 'EVENT.INVALID_JSON', reason: `a\u0000b\ud800${'x'.repeat(100_000)}`, raw }],
      checkpoint: { ...key, offsets: [], firstOffset: 0, nextOffset: 1 },
    });
    expect(stats.deadLettered).toBe(1);
    const [letter] = await db.dataSource.query(`SELECT reason, raw FROM dead_letters WHERE source = 'kafka:t-dl/0'`);
    expect(letter.reason.startsWith('a\\0b\ufffdxxx')).toBe(true);
    expect(letter.reason.length).toBeLessThanOrEqual(300);
    expect(Buffer.compare(letter.raw, raw)).toBe(0);
  });

  it('skips offsets its checkpoint covers: a redelivered or stale batch changes nothing', async () => {
    const events = [ev('c1', 'userChat.queued', '2025-07-01T00:00:00Z'), ev('c1', 'message.created', '2025-07-01T00:00:05Z', { personType: 'user' })];
    const key = { consumer: 'g', topic: 't', partition: 0 };
    const first = await applyBatch(db.dataSource, SCHEMA, { events, checkpoint: { ...key, offsets: [0, 1], nextOffset: 2 } });
    expect(first).toMatchObject({ applied: 2, covered: 0 });
    // The same offsets again, with fresh ids, as a stale instance would deliver: fully covered.
    const stale = [ev('c1', 'userChat.closed', '2025-07-01T00:01:00Z'), ev('c1', 'userChat.queued', '2025-07-01T00:02:00Z')];
    const again = await applyBatch(db.dataSource, SCHEMA, { events: stale, checkpoint: { ...key, offsets: [0, 1], nextOffset: 2 } });
    expect(again).toMatchObject({ applied: 0, covered: 2 });
    expect(await rows('c1')).toMatchObject([{ user_chat_case_id: 'c1-1', closed_at: null }]);
    // A batch straddling the checkpoint applies only its new part.
    const straddle = [ev('c1', 'message.created', '2025-07-01T00:00:06Z', { personType: 'user' }), ev('c1', 'userChat.closed', '2025-07-01T00:03:00Z')];
    const partly = await applyBatch(db.dataSource, SCHEMA, { events: straddle, checkpoint: { ...key, offsets: [1, 2], nextOffset: 3 } });
    expect(partly).toMatchObject({ applied: 1, covered: 1 });
    const [cp] = await db.dataSource.query(`SELECT next_offset FROM proj_1.checkpoints WHERE consumer = 'g' AND topic = 't' AND partition = 0`);
    expect(Number(cp.next_offset)).toBe(3);
  });

  it('serialises two instances on one partition: the loser applies nothing twice', async () => {
    const key = { consumer: 'g2', topic: 't', partition: 5 };
    const batch = () => ({
      events: [ev('c2', 'userChat.opened', '2025-07-02T00:00:00Z', { assignment: 'auto' })],
      checkpoint: { ...key, offsets: [0], nextOffset: 1 },
    });
    const results = await Promise.all([applyBatch(db.dataSource, SCHEMA, batch()), applyBatch(db.dataSource, SCHEMA, batch())]);
    expect(results.map((r) => r.applied).sort()).toEqual([0, 1]);
    expect(await rows('c2')).toHaveLength(1);
  });

  it('completes by time at closedAt + 1 h, never at the sweep time, and never rewrites a completed record', async () => {
    await applyBatch(db.dataSource, SCHEMA, {
      events: [ev('c3', 'userChat.opened', '2025-07-03T00:00:00Z', { assignment: 'auto' }), ev('c3', 'userChat.closed', '2025-07-03T00:10:00Z')],
    });
    await sweepDueCases(db.dataSource, SCHEMA, Date.parse('2025-07-03T01:09:59.999Z'));
    expect(await rows('c3')).toMatchObject([{ case_state: 'inProgress' }]);
    expect(await sweepDueCases(db.dataSource, SCHEMA, Date.parse('2026-01-01T00:00:00Z'))).toBeGreaterThanOrEqual(1);
    const [done] = await rows('c3');
    expect(done.case_state).toBe('completed');
    expect(done.case_updated_at.toISOString()).toBe('2025-07-03T01:10:00.000Z');
    // A late attribute event inside the (already passed) window cannot reopen the frozen record.
    await applyBatch(db.dataSource, SCHEMA, { events: [ev('c3', 'userChat.tagsChanged', '2025-07-03T00:20:00Z', { tags: ['late'] })] });
    expect(await rows('c3')).toMatchObject([{ case_state: 'completed', tags: [] }]);
    // Nothing more is due.
    expect(await sweepDueCases(db.dataSource, SCHEMA, Date.parse('2026-01-01T00:00:00Z'))).toBe(0);
  });

  it.each(['a TypeORM DataSource', 'a bare pg pool (the apply threads)'])('rolls back the whole batch when a write fails, on %s: no half-applied batch', async (on) => {
    const pool = on.startsWith('a bare') ? createApplyPool(db.url, 1) : null;
    const before = await db.dataSource.query(`SELECT count(*)::int AS n FROM proj_1.chat_states`);
    const events = [ev('c4', 'userChat.opened', '2025-07-04T00:00:00Z', { assignment: 'auto' })];
    await expect(
      applyBatch(pool ?? db.dataSource, 'proj_1', { events, checkpoint: { consumer: 'g', topic: 't', partition: 0, offsets: [Number.NaN], nextOffset: Number.NaN } }),
    ).rejects.toThrow();
    const after = await db.dataSource.query(`SELECT count(*)::int AS n FROM proj_1.chat_states`);
    expect(after[0].n).toBe(before[0].n);
    expect(await rows('c4')).toEqual([]);
    if (pool) {
      // The connection went back to the pool out of its failed transaction: the next batch on it applies.
      const next = [ev('c4p', 'userChat.opened', '2025-07-04T00:00:00Z', { assignment: 'auto' })];
      expect(await applyBatch(pool, 'proj_1', { events: next })).toMatchObject({ applied: 1 });
      expect(await rows('c4p')).toHaveLength(1);
      await pool.end();
    }
  });

  it('keeps the applied ids beside each chat and user: the same id again, in any later batch, changes nothing', async () => {
    const opened = ev('c5', 'userChat.opened', '2025-07-05T00:00:00Z', { assignment: 'auto' });
    const tagged = ev('c5', 'userChat.tagsChanged', '2025-07-05T00:01:00Z', { tags: ['vip'] });
    const renamed = parsed({ id: 'u5-upd-1', type: 'user.updated', version: 2, occurredAt: '2025-07-05T00:02:00Z', channelId: 'ch-a', data: { user: { id: 'u5', name: 'Lee' } } });
    expect(await applyBatch(db.dataSource, SCHEMA, { events: [opened, tagged, renamed] })).toMatchObject({ applied: 3, duplicates: 0 });
    const [chat] = await db.dataSource.query(`SELECT event_ids FROM proj_1.chat_states WHERE user_chat_id = 'c5'`);
    expect(chat.event_ids).toEqual([opened.id, tagged.id]);
    const [user] = await db.dataSource.query(`SELECT event_ids, updated_name FROM proj_1.users WHERE user_id = 'u5'`);
    expect(user).toEqual({ event_ids: ['u5-upd-1'], updated_name: 'Lee' });

    // Redelivered at other offsets, beside new events: only the new ones apply, and only their ids are added.
    const closed = ev('c5', 'userChat.closed', '2025-07-05T00:03:00Z');
    const renamedAgain = { ...renamed, data: { user: { id: 'u5', name: 'Changed by a duplicate' } } } as CaseStatsEvent;
    const retagged = { ...tagged, data: { tags: ['changed by a duplicate'] } } as CaseStatsEvent;
    const stats = await applyBatch(db.dataSource, SCHEMA, { events: [retagged, closed, renamedAgain, closed] });
    expect(stats).toMatchObject({ applied: 1, duplicates: 3 });
    const [after] = await db.dataSource.query(`SELECT event_ids FROM proj_1.chat_states WHERE user_chat_id = 'c5'`);
    expect(after.event_ids).toEqual([opened.id, tagged.id, closed.id]);
    expect(await rows('c5')).toMatchObject([{ tags: ['vip'], closed_at: new Date('2025-07-05T00:03:00Z') }]);
    const [userAfter] = await db.dataSource.query(`SELECT event_ids, updated_name FROM proj_1.users WHERE user_id = 'u5'`);
    expect(userAfter).toEqual({ event_ids: ['u5-upd-1'], updated_name: 'Lee' });
  });

  it('stores every text as given, whatever characters it holds: quotes, backslashes, braces, "NULL", control characters', async () => {
    const awkward = ['say "hi"', 'back\\slash \\"', '{braces}, commas', 'NULL', 'null', ' padded ', 'line\nbreak\ttab', '상담원 😀', ''];
    const events = [
      ev('c9', 'userChat.created', '2025-07-09T00:00:00Z', { user: { id: 'u9', name: awkward[0] }, medium: { name: 'inAppChat', senderName: awkward[1] }, page: awkward[2] }),
      ev('c9', 'userChat.queued', '2025-07-09T00:00:01Z', { initiatedBy: 'user' }),
      ev('c9', 'userChat.tagsChanged', '2025-07-09T00:00:02Z', { tags: awkward.slice(0, -1) }),
      ev('c9', 'userChat.descriptionChanged', '2025-07-09T00:00:03Z', { description: awkward[6] }),
      ev('c9', 'userChat.summarized', '2025-07-09T00:00:04Z', { summary: awkward[3] }),
      ev('c9', 'userChat.priorityChanged', '2025-07-09T00:00:05Z', { priority: awkward[8] }),
      ev('c9', 'userChat.assigneeChanged', '2025-07-09T00:00:06Z', { assignee: { id: 'm-"9"', name: awkward[7] } }),
      ev('c9', 'userChat.profileUpdated', '2025-07-09T00:00:07Z', { profile: { quote: awkward[0], slash: awkward[1], braces: awkward[2], n: 1.5, yes: true } }),
    ];
    await applyBatch(db.dataSource, SCHEMA, { events });
    const [row] = await db.dataSource.query(
      `SELECT user_name, medium_sender_name, page, tags, description, summarized_message, priority, assignee_id, assignee_name, profile, first_queued_at
         FROM proj_1.case_records WHERE user_chat_id = 'c9'`,
    );
    expect(row).toEqual({
      user_name: awkward[0],
      medium_sender_name: awkward[1],
      page: awkward[2],
      tags: awkward.slice(0, -1),
      description: awkward[6],
      summarized_message: awkward[3],
      priority: awkward[8],
      assignee_id: 'm-"9"',
      assignee_name: awkward[7],
      profile: { quote: awkward[0], slash: awkward[1], braces: awkward[2], n: 1.5, yes: true },
      first_queued_at: new Date('2025-07-09T00:00:01Z'),
    });
  });
});

function parsed(json: object): CaseStatsEvent {
  const p = parseEvent(JSON.stringify(json));
  if (!p.ok) throw new Error(p.error.reason);
  return p.event;
}
