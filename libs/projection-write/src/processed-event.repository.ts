import { Sql } from '@casestats/pg';
import { assertSchemaName } from './schema-name';

/**
 * Until migration 1764000200000 every applied event id was a row of `processed_events`; since,
 * a chat's ids live beside its state and a user's beside the user, so that deduplicating costs no
 * index entry per event. A schema projected before still has its old ids there, and only such a
 * schema is asked (the table is never written again, so the answer for a schema never changes).
 */
const hasLegacyIds = new Map<string, Promise<boolean>>();

async function legacyIdsIn(sql: Sql, schema: string): Promise<boolean> {
  let known = hasLegacyIds.get(schema);
  if (!known) {
    known = sql<{ any: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AND EXISTS (SELECT 1 FROM ${assertSchemaName(schema)}.processed_events) AS any`,
      [`${schema}.processed_events`],
    ).then(([row]) => row.any);
    hasLegacyIds.set(schema, known);
    known.catch(() => hasLegacyIds.delete(schema));
  }
  return known;
}

/** The ids among these events' that a schema projected before the migration had already applied. */
export async function legacyApplied(sql: Sql, schema: string, events: readonly { id: string }[]): Promise<string[]> {
  if (!events.length || !(await legacyIdsIn(sql, schema))) return [];
  const ids = events.map((e) => e.id);
  const rows = await sql<{ event_id: string }>(
    `SELECT event_id FROM ${assertSchemaName(schema)}.processed_events WHERE event_id = ANY($1::text[])`,
    [ids],
  );
  return rows.map((r) => r.event_id);
}
