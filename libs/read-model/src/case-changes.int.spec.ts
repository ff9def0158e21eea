import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Pool, type PoolClient } from 'pg';
import { CaseStatsEvent, parseEvent } from '@casestats/events';
import { AppError } from '@casestats/config';
import { createMigratedDatabase } from '@casestats/testing';
import { applyBatch, loggedCaseWrite } from '@casestats/projection-write';
import { sweepDueCases } from './sweep';
import { createProjectionSchema, switchActiveSchema } from './projection-registry';
import { FEED_START, caseChangeLogBackfill, pruneCaseChangeLog, readCaseChanges, type FeedPosition } from './case-changes.repository';
import { decodeFeedCursor, encodeFeedCursor, readCaseFeed, type CaseFeedItem } from './case-feed';

const SCHEMA = 'proj_1';
let seq = 0;
function ev(channel: string, chat: string, type: string, at: string, data: object = {}): CaseStatsEvent {
  const parsed = parseEvent(JSON.stringify({ id: `${chat}-${++seq}`, type, version: 2, occurredAt: at, channelId: channel, userChatId: chat, data }));
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.event;
}
const opened = (channel: string, chat: string, at = '2025-07-01T00:00:00Z') => ev(channel, chat, 'userChat.opened', at, { assignment: 'auto' });
const url = (channelId: string, userChatId: string) => `https://desk.example/${channelId}/${userChatId}`;

describe('the case change feed against PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let pool: Pool;
  beforeAll(async () => {
    db = await createMigratedDatabase('cs_feed');
    pool = new Pool({ connectionString: db.url, max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  /** Follows the feed from `from` until hasMore is false, in pages of `limit`. */
  async function follow(channel: string, from: FeedPosition, limit: number, schema = SCHEMA) {
    const ids: string[] = [];
    let at = from;
    for (;;) {
      const page = await readCaseChanges(db.dataSource, schema, channel, at, limit);
      ids.push(...page.rows.map((r) => r.record.user_chat_case_id as string));
      expect(page.rows.length).toBeLessThanOrEqual(limit);
      at = page.next;
      if (!page.hasMore) return { ids, at };
    }
  }

  it('gives each case at its last change, again when it changes later, never another channel, and a completed one once more, never again', async () => {
    await applyBatch(db.dataSource, SCHEMA, { events: [opened('ch-a', 'a1'), opened('ch-a', 'a2'), opened('ch-b', 'b1')] });
    await applyBatch(db.dataSource, SCHEMA, { events: [opened('ch-a', 'a3')] });
    // a1 changes again: it comes after a3 now, not at its first place.
    await applyBatch(db.dataSource, SCHEMA, { events: [ev('ch-a', 'a1', 'userChat.closed', '2025-07-01T00:10:00Z')] });
    const first = await follow('ch-a', FEED_START, 2);
    expect(first.ids).toEqual(['a2-1', 'a3-1', 'a1-1']);
    expect((await follow('ch-b', FEED_START, 10)).ids).toEqual(['b1-1']);

    // The sweep completes a1 (closed + 1 h): it comes once more, then never again.
    expect(await sweepDueCases(db.dataSource, SCHEMA, Date.parse('2025-07-01T01:10:01Z'))).toBe(1);
    const after = await follow('ch-a', first.at, 2);
    expect(after.ids).toEqual(['a1-1']);
    await applyBatch(db.dataSource, SCHEMA, { events: [ev('ch-a', 'a1', 'message.created', '2025-07-01T00:20:00Z', { personType: 'user' })] });
    await sweepDueCases(db.dataSource, SCHEMA, Date.parse('2025-07-01T01:10:01Z'));
    const later = await follow('ch-a', after.at, 2);
    expect(later.ids).toEqual([]);
    expect(later.at).toEqual(after.at);
    // From the beginning: every case once, a1 completed, at its last place.
    const all = await readCaseChanges(db.dataSource, SCHEMA, 'ch-a', FEED_START, 100);
    expect(all.rows.map((r) => [r.record.user_chat_case_id, r.record.case_state])).toEqual([
      ['a2-1', 'inProgress'],
      ['a3-1', 'inProgress'],
      ['a1-1', 'completed'],
    ]);
    expect(all.hasMore).toBe(false);
  });

  it('logs a case once per transaction: a second write of it in the same transaction adds no entry, new cases go to the next chunk', async () => {
    await applyBatch(db.dataSource, SCHEMA, { events: ['t1', 't2', 't3'].map((chat) => opened('ch-t', chat)) });
    const { at } = await follow('ch-t', FEED_START, 10);
    const touch = (ids: string[]) =>
      loggedCaseWrite(
        SCHEMA,
        `UPDATE proj_1.case_records SET case_updated_at = case_updated_at + interval '1 s'
          WHERE channel_id = 'ch-t' AND user_chat_case_id = ANY ('{${ids.join(',')}}'::text[]) RETURNING channel_id, user_chat_case_id, xmin`,
      );
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(touch(['t1-1', 't2-1']));
      await client.query(touch(['t2-1', 't3-1']));
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const rows = await db.dataSource.query(
      `SELECT chunk, case_ids FROM proj_1.case_change_log WHERE channel_id = 'ch-t' AND xid = (SELECT max(xid) FROM proj_1.case_change_log WHERE channel_id = 'ch-t') ORDER BY chunk`,
    );
    expect(rows).toEqual([
      { chunk: 0, case_ids: ['t1-1', 't2-1'] },
      { chunk: 1, case_ids: ['t3-1'] },
    ]);
    expect((await follow('ch-t', at, 2)).ids).toEqual(['t1-1', 't2-1', 't3-1']);
  });

  it('lets a reader step over log rows whose cases were all written again, and the housekeeping delete them without moving any cursor', async () => {
    const events = Array.from({ length: 30 }, (_, i) => opened('ch-p', `p${i}`));
    for (let i = 0; i < 30; i += 3) await applyBatch(db.dataSource, SCHEMA, { events: events.slice(i, i + 3) });
    const old = await readCaseChanges(db.dataSource, SCHEMA, 'ch-p', FEED_START, 4);
    // Every case is written again, one transaction each: the first ten log rows are dead.
    for (let i = 0; i < 30; i++) await applyBatch(db.dataSource, SCHEMA, { events: [ev('ch-p', `p${i}`, 'message.created', '2025-07-01T00:01:00Z', { personType: 'user' })] });
    const before = await follow('ch-p', old.next, 7);
    const [{ n: rows }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM proj_1.case_change_log WHERE channel_id = 'ch-p'`);
    expect(rows).toBe(40);
    let deleted = 0;
    let next: Awaited<ReturnType<typeof pruneCaseChangeLog>>['next'] = null;
    do {
      const pass = await pruneCaseChangeLog((t, p) => db.dataSource.query(t, p), SCHEMA, next, 7);
      deleted += pass.deleted;
      next = pass.next;
    } while (next);
    expect(deleted).toBeGreaterThanOrEqual(10);
    const [{ n: left }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM proj_1.case_change_log WHERE channel_id = 'ch-p'`);
    expect(left).toBe(30);
    expect(await follow('ch-p', old.next, 7)).toEqual(before);
    expect(before.ids).toEqual(events.map((e) => `${(e as { userChatId: string }).userChatId}-1`));
  });

  it('logs the cases a schema held before the feed existed (the migration), in creation order', async () => {
    await applyBatch(db.dataSource, SCHEMA, { events: [opened('ch-m', 'm2', '2025-07-02T00:00:00Z'), opened('ch-m', 'm1', '2025-07-01T00:00:00Z')] });
    await db.dataSource.query(`DELETE FROM proj_1.case_change_log WHERE channel_id = 'ch-m'`);
    expect((await follow('ch-m', FEED_START, 5)).ids).toEqual([]);
    await db.dataSource.query(caseChangeLogBackfill(SCHEMA).replace('FROM proj_1.case_records r', `FROM proj_1.case_records r WHERE r.channel_id = 'ch-m'`));
    expect((await follow('ch-m', FEED_START, 5)).ids).toEqual(['m1-1', 'm2-1']);
  });

  it('is not held back by a transaction in flight in another database of the server, only by one in its own', async () => {
    // A writer elsewhere on a shared server (another database: it cannot write here) holds an id open.
    const elsewhere = new Client({ connectionString: db.url.replace(/\/[^/?]+(\?|$)/, '/postgres$1') });
    await elsewhere.connect();
    const here = await pool.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()');
      await applyBatch(db.dataSource, SCHEMA, { events: [opened('ch-o', 'o1')] });
      expect((await follow('ch-o', FEED_START, 5)).ids).toEqual(['o1-1']);
      // One in this database does hold it: o2, committed after it began, waits for it.
      await here.query('BEGIN');
      await here.query('SELECT pg_current_xact_id()');
      await applyBatch(db.dataSource, SCHEMA, { events: [opened('ch-o', 'o2')] });
      const held = await follow('ch-o', FEED_START, 5);
      expect(held.ids).toEqual(['o1-1']);
      await here.query('COMMIT');
      expect((await follow('ch-o', held.at, 5)).ids).toEqual(['o2-1']);
    } finally {
      await here.query('ROLLBACK').catch(() => undefined);
      here.release();
      await elsewhere.query('ROLLBACK').catch(() => undefined);
      await elsewhere.end();
    }
  });

  /**
   * THE GUARANTEE: transaction A takes its id first, B second; B commits while A is still open,
   * then A commits. A reader polling between the two commits must still get A's case.
   */
  it('never skips a transaction that commits after a later-numbered one; a naive cursor does', async () => {
    let commitAsked!: () => void;
    const asked = new Promise<void>((r) => (commitAsked = r));
    let mayCommit!: () => void;
    const barrier = new Promise<void>((r) => (mayCommit = r));
    // The real applyBatch, on a pool whose COMMIT waits for the barrier: A's transaction stays open.
    const held = {
      connect: async () => {
        const client: PoolClient = await pool.connect();
        return {
          query: async (text: string, params?: unknown[]) => {
            if (text === 'COMMIT') {
              commitAsked();
              await barrier;
            }
            return client.query(text, params);
          },
          release: (err?: Error) => client.release(err),
        };
      },
    } as unknown as Pool;
    const a = applyBatch(held, SCHEMA, { events: [opened('ch-x', 'x-a')] });
    await asked;
    try {
      await applyBatch(db.dataSource, SCHEMA, { events: [opened('ch-x', 'x-b')] });
      // A (still open) holds the oldest id in flight, and B's is above it.
      const [{ bound, b }] = await db.dataSource.query(
        `SELECT (SELECT xmin::text FROM proj_1.case_records WHERE user_chat_case_id = 'x-b-1') AS b,
                (SELECT pg_snapshot_xmin(pg_current_snapshot())::text) AS bound`,
      );
      expect(BigInt(b)).toBeGreaterThan(BigInt(bound) & 0xffffffffn);

      const real: string[] = [];
      const naive: string[] = [];
      let realAt = FEED_START;
      let naiveAt = FEED_START;
      const poll = async () => {
        const page = await readCaseChanges(db.dataSource, SCHEMA, 'ch-x', realAt, 10);
        real.push(...page.rows.map((r) => r.record.user_chat_case_id as string));
        realAt = page.next;
        const n = await naiveRead(naiveAt);
        naive.push(...n.ids);
        naiveAt = n.next;
      };
      await poll(); // B has committed, A not yet
      expect(real).toEqual([]);
      expect(naive).toEqual(['x-b-1']);
      mayCommit();
      await a;
      await poll();
      expect(real.sort()).toEqual(['x-a-1', 'x-b-1']);
      // The control: a cursor by position without the in-flight bound passed A's place before A committed.
      expect(naive).toEqual(['x-b-1']);
    } finally {
      // A failed expectation must not leave A open: the database could not be dropped.
      mayCommit();
      await a.catch(() => undefined);
    }
  });

  /** The control of the test above: the same log and order, without the bound below the oldest transaction in flight. */
  async function naiveRead(from: FeedPosition): Promise<{ ids: string[]; next: FeedPosition }> {
    const rows: { xid: string; chunk: number; ord: number; id: string }[] = await db.dataSource.query(
      `SELECT l.xid::text AS xid, l.chunk, u.ord::int AS ord, r.user_chat_case_id AS id
         FROM proj_1.case_change_log l CROSS JOIN LATERAL unnest(l.case_ids) WITH ORDINALITY u(id, ord)
         JOIN proj_1.case_records r ON r.channel_id = l.channel_id AND r.user_chat_case_id = u.id AND r.xmin = l.xid::xid
        WHERE l.channel_id = 'ch-x' AND (l.xid, l.chunk, u.ord) > ($1::xid8, $2::int, $3::bigint) ORDER BY 1, 2, 3`,
      [from.xid, from.chunk, from.ord],
    );
    const last = rows[rows.length - 1];
    return { ids: rows.map((r) => r.id), next: last ? { xid: last.xid, chunk: last.chunk, ord: last.ord } : from };
  }

  it('refuses a cursor of another channel, cut, edited or made up; reads start over, flagged, after a rebuild switched the projection', async () => {
    await applyBatch(db.dataSource, SCHEMA, { events: [opened('ch-r', 'r1'), opened('ch-r', 'r2')] });
    const page = await readCaseFeed(db.dataSource, { channelId: 'ch-r', limit: 1, caseUrl: url });
    expect(page.items.map((i) => i.userChatCaseId)).toEqual(['r1-1']);
    expect(page.hasMore).toBe(true);
    expect(page.restarted).toBeUndefined();
    const item = page.items[0] as CaseFeedItem;
    expect(item).toMatchObject({ userChatCaseCreatedAt: '2025-07-01T00:00:00.000Z', userChatUrl: 'https://desk.example/ch-r/r1', tags: null, 'profile.csat': null, replyCount: 0 });
    expect(Object.keys(item).slice(0, 4)).toEqual(['channelId', 'userChatCaseCreatedAt', 'userChatCase', 'userChatCaseId']);

    const refused = (cursor: string, channelId = 'ch-r') => {
      try {
        decodeFeedCursor(channelId, cursor);
      } catch (err) {
        return err instanceof AppError && err.code === 'INPUT.INVALID';
      }
      return false;
    };
    expect(refused(page.nextCursor, 'ch-a')).toBe(true);
    expect(refused(page.nextCursor.slice(0, -1))).toBe(true);
    expect(refused(`${page.nextCursor.slice(0, 8)}${page.nextCursor[8] === 'A' ? 'B' : 'A'}${page.nextCursor.slice(9)}`)).toBe(true);
    expect(refused('not a cursor')).toBe(true);
    expect(refused(encodeFeedCursor('ch-r', { generation: 1, ...FEED_START }))).toBe(false);

    const rest = await readCaseFeed(db.dataSource, { channelId: 'ch-r', cursor: page.nextCursor, limit: 10, caseUrl: url });
    expect(rest.items.map((i) => i.userChatCaseId)).toEqual(['r2-1']);
    expect(rest.hasMore).toBe(false);

    // A rebuild: a new schema with its own history, switched in.
    const fresh = await createProjectionSchema(db.dataSource);
    await applyBatch(db.dataSource, fresh, { events: [opened('ch-r', 'r1'), opened('ch-r', 'r2'), opened('ch-r', 'r3')] });
    await switchActiveSchema(db.dataSource, SCHEMA, fresh);
    try {
      const across = await readCaseFeed(db.dataSource, { channelId: 'ch-r', cursor: rest.nextCursor, limit: 10, caseUrl: url });
      expect(across.restarted).toBe(true);
      expect(across.restartReason).toContain(fresh);
      expect(across.items.map((i) => i.userChatCaseId).sort()).toEqual(['r1-1', 'r2-1', 'r3-1']);
      const then = await readCaseFeed(db.dataSource, { channelId: 'ch-r', cursor: across.nextCursor, limit: 10, caseUrl: url });
      expect(then.restarted).toBeUndefined();
      expect(then.items).toEqual([]);
    } finally {
      await switchActiveSchema(db.dataSource, fresh, SCHEMA);
    }
  });
});
