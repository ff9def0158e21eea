import { STORED_CASE_FIELDS } from '@casestats/case-projection';
import { assertSchemaName } from '@casestats/projection-write';
import { CUSTOM_PROFILE_SQL, NATURAL_ORDER_COLLATION } from '@casestats/case-read';

/**
 * The name guard is the write path's (projection-write), the SQL names the export reads by are the
 * read path's (case-read); the read model's queries and migrations take them from here.
 */
export { CUSTOM_PROFILE_SQL, NATURAL_ORDER_COLLATION, assertSchemaName };

export function projectionSchemaName(version: number): string {
  return `proj_${version}`;
}

/**
 * A fresh projection schema, as the latest migration leaves one (a rebuild's). Its case_records
 * columns come from the field table, so a test can compare them with what the migrations made:
 * a field added without its migration shows there.
 */
export function projectionDdl(schema: string): string[] {
  return [...initialProjectionDdl(schema, caseRecordColumnsDdl()), ...eventIdsInStateDdl(schema), ...customProfileKeysDdl(schema), ...chatStateJsonDdl(schema), ...hotUpdatesDdl(schema), ...appliedUntilDdl(schema), ...caseChangeLogDdl(schema)];
}

/**
 * Migration 1764000790000: the case change feed's log, one row per channel per ≤ 1000 cases a
 * transaction wrote (case-changes.repository.ts says how it is written and read).
 */
export function caseChangeLogDdl(schema: string): string[] {
  const s = assertSchemaName(schema);
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.case_change_log (
       channel_id text NOT NULL,
       xid xid8 NOT NULL,
       chunk integer NOT NULL,
       case_ids text[] NOT NULL,
       PRIMARY KEY (channel_id, xid, chunk))`,
  ];
}

/**
 * Migration 1764000600000: how far in event time each partition's projection has come (the latest
 * `occurredAt` it applied), so that the sweeper does not complete a case by time while events
 * that may still change it wait behind the checkpoint (after downtime, a stuck partition, a
 * rebuild's switch).
 */
export function appliedUntilDdl(schema: string): string[] {
  return [`ALTER TABLE ${assertSchemaName(schema)}.checkpoints ADD COLUMN IF NOT EXISTS applied_until timestamptz`];
}

/**
 * Migration 1764000500000: room on each case-record page for the next version of its rows. The
 * projector rewrites an in-progress case's record in every batch that touches it; a new version
 * that fits on its row's page, with no indexed column changed, is a HOT update: no index entry is
 * written and the dead version is pruned from the page. Measured on the bench's million events:
 * 3% of the case-record updates were HOT on full pages, 89% at this fill factor, with no change in
 * the projector's rate. The price is a table about a quarter larger, as inserts stop at 80% of a
 * page and completed cases are never rewritten to use the rest. (The chat states gained nothing
 * from it: most of their updates change the indexed completion_due_at.)
 */
export const CASE_RECORDS_FILLFACTOR = 80;
export function hotUpdatesDdl(schema: string): string[] {
  return [`ALTER TABLE ${assertSchemaName(schema)}.case_records SET (fillfactor = ${CASE_RECORDS_FILLFACTOR})`];
}

/**
 * Migration 1764000400000: a chat's state as json, not jsonb. Only the projector reads it, whole,
 * and every batch rewrites it: jsonb made PostgreSQL parse and re-serialise each state on every
 * write and read (measured: the chat-state upsert was the batch's costliest statement).
 */
export function chatStateJsonDdl(schema: string): string[] {
  return [`ALTER TABLE ${assertSchemaName(schema)}.chat_states ALTER COLUMN state TYPE json USING state::json`];
}

/**
 * Migration 1764000300000: the cases whose profile holds a custom key, in export order, so that an
 * export finds its profile columns without reading every case of the range (most profiles hold
 * only csat). Its predicate reads only `profile`, which changes rarely, so the projector's other
 * updates of a case stay HOT.
 */
export function customProfileKeysDdl(schema: string): string[] {
  const s = assertSchemaName(schema);
  return [
    `CREATE INDEX IF NOT EXISTS case_records_custom_profile_idx ON ${s}.case_records (channel_id, case_created_at)
       WHERE ${CUSTOM_PROFILE_SQL()} <> '{}'::jsonb`,
  ];
}

/**
 * Migration 1764000200000: the ids of the events applied to a chat (or by `user.updated` to a
 * user) are kept in its row, not one row each in processed_events (kept, no longer written).
 */
export function eventIdsInStateDdl(schema: string): string[] {
  const s = assertSchemaName(schema);
  return [
    `ALTER TABLE ${s}.chat_states ADD COLUMN IF NOT EXISTS event_ids text[] NOT NULL DEFAULT '{}'`,
    `ALTER TABLE ${s}.users ADD COLUMN IF NOT EXISTS event_ids text[] NOT NULL DEFAULT '{}'`,
  ];
}

/**
 * The case_records columns as the field table declares them (case.fields.ts). Instants are
 * timestamptz, enums flagged `check` are constrained to their values.
 */
export function caseRecordColumnsDdl(): string {
  return STORED_CASE_FIELDS.map(({ column: c, nullable, values }) => {
    let def = `${c.name} ${c.sql}`;
    if (c.collate) def += ` COLLATE "${c.collate}"`;
    if (!nullable || c.notNull) def += ' NOT NULL';
    if (c.default) def += ` DEFAULT ${c.default}`;
    if (c.check && values) def += ` CHECK (${c.name} IN (${values.map((v) => `'${v}'`).join(', ')}))`;
    return def;
  }).join(',\n       ');
}

/**
 * The case_records columns the first migration created. History: later columns come by their own
 * migrations, and fresh schemas take them from the field table (caseRecordColumnsDdl).
 */
const INITIAL_CASE_RECORD_COLUMNS = `channel_id text NOT NULL,
       user_chat_case_id text COLLATE "C" NOT NULL,
       case_created_at timestamptz NOT NULL,
       user_chat_case integer NOT NULL,
       case_state text NOT NULL CHECK (case_state IN ('inProgress', 'completed')),
       case_updated_at timestamptz NOT NULL,
       user_chat_id text NOT NULL,
       direction text NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND')),
       user_chat_state text NOT NULL,
       team_id text, team_name text, assignee_id text, assignee_name text,
       manager_ids text, manager_names text, user_id text, user_name text,
       created_at timestamptz, first_queued_at timestamptz, first_opened_at timestamptz,
       first_asked_at timestamptz, first_replied_at timestamptz, closed_at timestamptz,
       waiting_time integer, total_reply_time integer NOT NULL, reply_count integer NOT NULL,
       avg_reply_time integer, resolution_time integer, total_snoozed_time integer NOT NULL,
       lead_time integer, snoozed_count integer NOT NULL, missed_count integer NOT NULL,
       description text, summarized_message text, tags text[] NOT NULL DEFAULT '{}',
       medium_name text, medium_sender_name text, marketing_type text, marketing_id text,
       workflow_id text, page text, priority text,
       profile jsonb NOT NULL DEFAULT '{}'`;

/** The projection schema of the first migration (with today's case_records columns for a fresh schema). */
export function initialProjectionDdl(schema: string, caseRecordColumns = INITIAL_CASE_RECORD_COLUMNS): string[] {
  const s = assertSchemaName(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE ${s}.chat_states (
       channel_id text NOT NULL,
       user_chat_id text NOT NULL,
       state jsonb NOT NULL,
       completion_due_at timestamptz,
       PRIMARY KEY (channel_id, user_chat_id))`,
    `CREATE INDEX chat_states_due_idx ON ${s}.chat_states (completion_due_at) WHERE completion_due_at IS NOT NULL`,
    `CREATE TABLE ${s}.case_records (
       ${caseRecordColumns},
       PRIMARY KEY (channel_id, user_chat_case_id))`,
    // Serves the export: channel + range, in export order, for the count and the cursor alike.
    `CREATE INDEX case_records_export_idx ON ${s}.case_records (channel_id, case_created_at, user_chat_case_id)`,
    `CREATE TABLE ${s}.users (
       channel_id text NOT NULL,
       user_id text COLLATE "C" NOT NULL,
       updated_name text,
       chat_name text,
       chat_created_at timestamptz,
       chat_id text,
       profile jsonb NOT NULL DEFAULT '{}',
       PRIMARY KEY (channel_id, user_id))`,
    `CREATE TABLE ${s}.processed_events (event_id text PRIMARY KEY)`,
    `CREATE TABLE ${s}.checkpoints (
       consumer text NOT NULL,
       topic text NOT NULL,
       partition integer NOT NULL,
       next_offset bigint NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (consumer, topic, partition))`,
  ];
}

/**
 * Migration 1764000810000: the order the User data sheet lists customers in, digits compared as
 * numbers (u-1-2 before u-1-10), as people read ids. ICU's root locale with numeric ordering; both
 * the embedded server and Debian's PostgreSQL are built with ICU.
 */
export function naturalOrderDdl(): string[] {
  return [`CREATE COLLATION IF NOT EXISTS ${NATURAL_ORDER_COLLATION} (provider = icu, locale = 'und-u-kn-true')`];
}
