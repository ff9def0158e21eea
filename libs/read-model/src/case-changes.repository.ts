import { Query, type PoolClient, type QueryConfig } from 'pg';
import type { DataSource } from 'typeorm';
import { assertSchemaName } from './projection-schema';
import type { Sql } from '@casestats/pg';
import { FEED_CHUNK } from '@casestats/projection-write';

/**
 * The case change feed's log, and how it is read and pruned (the projection writes it in the
 * statement that writes the cases: projection-write's loggedCaseWrite).
 *
 * THE GUARANTEE: a reader that follows its cursor while any number of transactions write case
 * records never skips a change. A position taken inside a transaction (a sequence, updated_at)
 * fails it: the transaction that took position 7 may commit after the one that took 8, and a
 * reader that passed 8 in between never sees 7. So positions are transaction ids, and a reader is
 * handed only positions below the oldest transaction of this database still in flight in its
 * snapshot (FEED_BOUND): every transaction still in flight, or not yet begun, that could write here
 * has an id at or above that bound, so nothing can later appear behind a position once it has been
 * handed out.
 *
 * - `case_change_log(channel_id, xid, chunk, case_ids)`: each statement that writes case records
 *   adds, in the same statement (a CTE over the upsert's RETURNING), one row per channel per ≤ 1000
 *   written case ids, under the id of the transaction that wrote them. A position is
 *   (xid, chunk, ordinal in case_ids).
 * - Which version of a case a log entry stands for: the row's own `xmin`, the id of the
 *   transaction that wrote its current version. An entry is emitted only while the case's row still
 *   has `xmin = xid`; a case written again later is emitted at its later position instead, so a
 *   completed case (never rewritten) comes one last time and never again.
 *
 * Why `xmin` and not a `change_xid` column set by every write: PostgreSQL already stores it in
 * every row version, for free, and it is exactly "the transaction that last wrote this row" (with
 * RETURNING xmin the log records it even for a write inside a subtransaction). A column would
 * widen every row the projector rewrites, and appear in `SELECT *` of the record (the rebuild's and
 * the CLI's whole-table comparisons, the field-table check); both need no index, so HOT updates
 * are kept either way. What xmin asks in return: nothing may rewrite case_records' rows other than
 * through upsertCaseRecords without logging them (VACUUM, VACUUM FULL and CLUSTER keep xmin; a
 * migration's UPDATE or table rewrite must add log rows for what it rewrote, as the feed's own
 * migration does), and a dump and restore is a new history, as a rebuild is. xmin is 32 bits: an
 * entry could match a row rewritten 2^32 transactions later only if the entry survived that long
 * un-pruned, and the housekeeping removes it as soon as its cases are written again.
 */

/**
 * The log of the cases a schema already holds (the feed's migration): each case under the
 * transaction that wrote its current version, in chunks of 1000 in creation order. No reader can
 * have passed these positions: the table did not exist before this transaction commits.
 */
export function caseChangeLogBackfill(schema: string): string {
  const s = assertSchemaName(schema);
  return `INSERT INTO ${s}.case_change_log (channel_id, xid, chunk, case_ids)
    SELECT channel_id, xid, (n / ${FEED_CHUNK})::int, array_agg(id ORDER BY n)
      FROM (SELECT channel_id, user_chat_case_id AS id, xid,
                   row_number() OVER (PARTITION BY channel_id, xid ORDER BY case_created_at, user_chat_case_id) - 1 AS n
              FROM (SELECT r.channel_id, r.user_chat_case_id, r.case_created_at, ${backfillXid('r.xmin')} AS xid FROM ${s}.case_records r) r) x
     GROUP BY channel_id, xid, n / ${FEED_CHUNK}`;
}

/**
 * An existing row's xmin as an xid8: it was written before this transaction, so in its epoch or,
 * if its low half is above ours, the epoch before (rows older than 2^31 transactions are frozen
 * and would need the epoch of their write, which PostgreSQL no longer has; they match by their
 * low 32 bits all the same, which is what the reader compares).
 */
function backfillXid(xmin: string): string {
  return `(((pg_current_xact_id()::text::bigint >> 32) - (${xmin}::text::bigint > (pg_current_xact_id()::text::bigint & 4294967295))::int) << 32
     | ${xmin}::text::bigint)::text::xid8`;
}

/**
 * The bound: `pg_snapshot_xmin` of the reader's snapshot, except that transactions the snapshot saw
 * in flight in another database of the cluster do not hold it back (they cannot write here, and a
 * shared server's long writer elsewhere would otherwise stall every feed). An id counts as another
 * database's only when pg_stat_activity shows it as such: one that ended meanwhile, a prepared one,
 * or one we may not see is kept, so the bound is never above a transaction that could write here.
 */
const FEED_BOUND = `SELECT coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(s) x
      WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                         WHERE a.backend_xid = x::xid AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))),
    pg_snapshot_xmax(s))::text AS bound
  FROM pg_current_snapshot() s`;

/** A place in a schema's log: after the entry `ord` (1-based) of the log row (xid, chunk). */
export interface FeedPosition {
  xid: string;
  chunk: number;
  ord: number;
}

/** Before everything: real transaction ids start at 3. */
export const FEED_START: FeedPosition = { xid: '0', chunk: 0, ord: 0 };
/** After every entry of a log row (case_ids holds at most FEED_CHUNK). */
const PAST_CHUNK = 2_147_483_647;

export interface FeedRow {
  position: FeedPosition;
  record: Record<string, unknown>;
}

export interface FeedPage {
  rows: FeedRow[];
  /** hasMore: true after a full page (the next may then be empty), false once nothing is left below the bound. */
  /** Where to read on from: after the last row, or past the log rows read whose cases were all written again later. */
  next: FeedPosition;
  hasMore: boolean;
}

const comparePositions = (a: FeedPosition, b: FeedPosition) => {
  const x = BigInt(a.xid) - BigInt(b.xid);
  return x !== 0n ? (x < 0n ? -1 : 1) : a.chunk - b.chunk || a.ord - b.ord;
};
export { comparePositions as compareFeedPositions };

/**
 * Reads one window's rows of the found query (below) and hands back their positions, in order.
 * The page's walk is one; how rows are read is the caller's (objects, or arrays streamed as they come).
 */
type FoundRows = (client: PoolClient, sql: string, params: unknown[]) => Promise<FeedPosition[]>;

/**
 * One page of a channel's changes after `from`, in a repeatable-read snapshot: the bound and every
 * read agree. Log rows are taken a window at a time (their keys from the primary key alone, the
 * arrays only for the window), so log rows whose cases were all rewritten later are stepped over
 * without a page of them; `maxWindows` bounds one call's work (the page may then be short with
 * hasMore true). `select`: SQL over the case row `r`, after the position's three columns.
 */
async function walkCaseChanges(
  db: DataSource,
  schema: string,
  channelId: string,
  from: FeedPosition,
  limit: number,
  select: string,
  found: FoundRows,
  maxWindows = 12,
): Promise<{ next: FeedPosition; hasMore: boolean }> {
  const s = assertSchemaName(schema);
  const runner = db.createQueryRunner('slave');
  const client = (await runner.connect()) as PoolClient;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { bound } = (await client.query<{ bound: string }>(FEED_BOUND)).rows[0];
    let read = 0;
    let at = from;
    let window = 4;
    for (let i = 0; i < maxWindows; i++, window = Math.min(window * 4, 4096)) {
      // The window: up to `window` log rows from `at` on, below the bound; and whether more follow.
      const keys = (
        await client.query<{ xid: string; chunk: number }>(
          `SELECT xid::text AS xid, chunk FROM ${s}.case_change_log
            WHERE channel_id = $1 AND (xid, chunk) >= ($2::xid8, $3::int) AND xid < $4::xid8
            ORDER BY xid, chunk LIMIT $5`,
          [channelId, at.xid, at.chunk, bound, window + 1],
        )
      ).rows;
      if (!keys.length) return { next: at, hasMore: false };
      const last = keys[Math.min(window, keys.length) - 1];
      const need = limit - read;
      const positions = await found(
        client,
        // The case row by its key, one lookup per entry: as a plain join the planner, unable to tell an
        // array's length, at times chose a parallel scan of the whole case table (1.5-2 s a page at 1M).
        // LIMIT 1 (a no-op on the primary key) keeps the subquery from being flattened into that join.
        `SELECT l.xid::text AS feed_xid, l.chunk AS feed_chunk, u.ord::int AS feed_ord, c.*
           FROM ${s}.case_change_log l
           CROSS JOIN LATERAL unnest(l.case_ids) WITH ORDINALITY AS u(id, ord)
           CROSS JOIN LATERAL (SELECT ${select} FROM ${s}.case_records r
                                WHERE r.channel_id = l.channel_id AND r.user_chat_case_id = u.id AND r.xmin = l.xid::xid LIMIT 1) c
          WHERE l.channel_id = $1 AND (l.xid, l.chunk) >= ($2::xid8, $3::int) AND (l.xid, l.chunk) <= ($5::xid8, $6::int)
            AND (l.xid, l.chunk, u.ord) > ($2::xid8, $3::int, $4::bigint)
          ORDER BY l.xid, l.chunk, u.ord LIMIT $7`,
        [channelId, at.xid, at.chunk, at.ord, last.xid, last.chunk, need],
      );
      read += positions.length;
      // A full page says hasMore without looking further: one more row to prove it would cost the
      // lookups of a whole next log row (the sort needs all of it), twice a page's work at 1000.
      if (positions.length === need) return { next: positions[positions.length - 1], hasMore: true };
      at = { xid: last.xid, chunk: last.chunk, ord: PAST_CHUNK };
      if (keys.length <= window) return { next: at, hasMore: false };
      if (read === limit) return { next: at, hasMore: true };
    }
    return { next: at, hasMore: true };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await runner.release();
  }
}

/** One page of a channel's changes after `from` (walkCaseChanges), each case row as an object: all its columns unless `select` says. */
export async function readCaseChanges(
  db: DataSource,
  schema: string,
  channelId: string,
  from: FeedPosition,
  limit: number,
  options: { maxWindows?: number; select?: string } = {},
): Promise<FeedPage> {
  const rows: FeedRow[] = [];
  const page = await walkCaseChanges(
    db,
    schema,
    channelId,
    from,
    limit,
    options.select ?? 'r.*',
    async (client, sql, params) => {
      const found = (await client.query(sql, params)).rows as Record<string, unknown>[];
      return found.map((r) => {
        const { feed_xid, feed_chunk, feed_ord, ...record } = r;
        const position = { xid: feed_xid as string, chunk: feed_chunk as number, ord: feed_ord as number };
        rows.push({ position, record });
        return position;
      });
    },
    options.maxWindows,
  );
  return { rows, ...page };
}

/** A found row as pg's rowMode 'array' gives it with no type parsed: the position's three columns, then `select`'s. */
export type FeedValues = readonly (string | null)[];

const TEXT_AS_IS = { getTypeParser: () => (value: string) => value };

/**
 * One page of a channel's changes after `from` (walkCaseChanges), each row handed to `onRow` as its
 * values' text the moment it arrives: Node works on a row while PostgreSQL looks up the next, where
 * read whole a page waits for the last row first (BENCHMARKS.md, "Change feed").
 */
export async function streamCaseChanges(
  db: DataSource,
  schema: string,
  channelId: string,
  from: FeedPosition,
  limit: number,
  options: { select: string; onRow: (values: FeedValues) => void; maxWindows?: number },
): Promise<{ next: FeedPosition; hasMore: boolean }> {
  return walkCaseChanges(
    db,
    schema,
    channelId,
    from,
    limit,
    options.select,
    (client, text, values) =>
      new Promise<FeedPosition[]>((resolve, reject) => {
        const positions: FeedPosition[] = [];
        // Thrown inside pg's message handling, an error of onRow would break the connection: it is kept for the end.
        let failed: unknown;
        // rowMode is a config of pg's Query that its types declare only for client.query.
        const query = new Query({ text, values, rowMode: 'array', types: TEXT_AS_IS } as QueryConfig);
        query.on('row', (row: FeedValues) => {
          if (failed !== undefined) return;
          positions.push({ xid: row[0] as string, chunk: Number(row[1]), ord: Number(row[2]) });
          try {
            options.onRow(row);
          } catch (err) {
            failed = err ?? new Error('onRow failed');
          }
        });
        query.on('error', reject);
        query.on('end', () => (failed === undefined ? resolve(positions) : reject(failed)));
        void client.query(query);
      }),
    options.maxWindows,
  );
}

/**
 * Housekeeping: deletes log rows none of whose cases still has the version they stand for (each
 * was written again later, and the reader would step over the row). Such a row can go at any
 * time, so every cursor stays valid; a case written again inside a transaction still in flight
 * still shows its logged version to this snapshot, so its row stays. Bounded: it looks at `limit`
 * log rows from `after` on (a channel and key), and returns where to go on from, wrapping to the
 * start at the end.
 */
export async function pruneCaseChangeLog(
  sql: Sql,
  schema: string,
  after: { channelId: string; xid: string; chunk: number } | null,
  limit = 500,
): Promise<{ deleted: number; next: { channelId: string; xid: string; chunk: number } | null }> {
  const s = assertSchemaName(schema);
  const start = after ?? { channelId: '', xid: '0', chunk: -1 };
  const rows = await sql<{ channel_id: string; xid: string; chunk: number; dead: boolean }>(
    `WITH examined AS (
       SELECT l.channel_id, l.xid, l.chunk, NOT EXISTS (
                SELECT 1 FROM unnest(l.case_ids) AS u(id)
                  JOIN ${s}.case_records r ON r.channel_id = l.channel_id AND r.user_chat_case_id = u.id AND r.xmin = l.xid::xid) AS dead
         FROM ${s}.case_change_log l
        WHERE (l.channel_id, l.xid, l.chunk) > ($1::text, $2::xid8, $3::int)
        ORDER BY l.channel_id, l.xid, l.chunk LIMIT $4),
     gone AS (
       DELETE FROM ${s}.case_change_log l USING examined e
        WHERE e.dead AND l.channel_id = e.channel_id AND l.xid = e.xid AND l.chunk = e.chunk RETURNING 1)
     SELECT channel_id, xid::text AS xid, chunk, (SELECT count(*)::int FROM gone) AS deleted FROM examined ORDER BY channel_id DESC, xid DESC, chunk DESC LIMIT 1`,
    [start.channelId, start.xid, start.chunk, limit],
  );
  if (!rows.length) return { deleted: 0, next: null };
  const [r] = rows as unknown as { channel_id: string; xid: string; chunk: number; deleted: number }[];
  return { deleted: r.deleted, next: { channelId: r.channel_id, xid: r.xid, chunk: r.chunk } };
}
