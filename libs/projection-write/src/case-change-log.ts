/**
 * How the case change feed's log is written: in the statement that writes the cases. Why that never
 * lets a reader skip a change, and how the log is read and pruned: read-model's case-changes.repository.ts.
 */
import { assertSchemaName } from './schema-name';

/** Case ids one log row holds at most. */
export const FEED_CHUNK = 1000;

/**
 * A row's xmin (32 bits) as the full xid8 of the current transaction's epoch. The row was written
 * by this transaction or one of its subtransactions, whose ids are at or above the top-level one:
 * a smaller low half means the id crossed into the next epoch.
 */
const XMIN_AS_XID8 = (xmin: string) =>
  `(((pg_current_xact_id()::text::bigint >> 32) + (${xmin}::text::bigint < (pg_current_xact_id()::text::bigint & 4294967295))::int) << 32
     | ${xmin}::text::bigint)::text::xid8`;

/**
 * Wraps a statement that writes case records and returns `channel_id, user_chat_case_id, xmin`
 * (an upsert's RETURNING) so that the same statement logs them. A case the transaction already
 * logged is not logged twice (one transaction, one position per case); the probe for that costs
 * one index lookup per channel and transaction, and the per-case check runs only if it finds one.
 * `changeLog: false` is the control of bench/projector.bench.ts's feed cost (the same write
 * without its log); nothing else passes it.
 */
export function loggedCaseWrite(schema: string, writeReturning: string, changeLog = true): string {
  const s = assertSchemaName(schema);
  if (!changeLog) return `WITH written AS (${writeReturning}) SELECT count(*) FROM written`;
  return `WITH written AS (${writeReturning}),
    w AS (SELECT channel_id, user_chat_case_id AS id, ${XMIN_AS_XID8('xmin')} AS xid FROM written),
    -- MATERIALIZED: inlined, the planner ran the probe once per written row, twice (measured:
    -- the log's cost on a 500-case write fell by about half, BENCHMARKS.md "Change feed").
    g AS MATERIALIZED (SELECT k.channel_id, k.xid, (SELECT max(p.chunk) FROM ${s}.case_change_log p WHERE p.channel_id = k.channel_id AND p.xid = k.xid) AS last
            FROM (SELECT DISTINCT channel_id, xid FROM w) k),
    fresh AS (SELECT w.channel_id, w.xid, w.id, g.last FROM w JOIN g ON g.channel_id = w.channel_id AND g.xid = w.xid
               WHERE g.last IS NULL OR NOT EXISTS (
                 SELECT 1 FROM ${s}.case_change_log p WHERE p.channel_id = w.channel_id AND p.xid = w.xid AND w.id = ANY (p.case_ids))),
    numbered AS (SELECT *, row_number() OVER (PARTITION BY channel_id, xid ORDER BY id) - 1 AS n FROM fresh)
    INSERT INTO ${s}.case_change_log (channel_id, xid, chunk, case_ids)
    SELECT channel_id, xid, coalesce(last + 1, 0) + (n / ${FEED_CHUNK})::int, array_agg(id ORDER BY n)
      FROM numbered GROUP BY channel_id, xid, last, n / ${FEED_CHUNK}`;
}

