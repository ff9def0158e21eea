import { Sql } from './sql';
import { assertSchemaName } from './projection-schema';

export async function alreadyApplied(sql: Sql, schema: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await sql<{ event_id: string }>(
    `SELECT event_id FROM ${assertSchemaName(schema)}.processed_events WHERE event_id = ANY($1::text[])`,
    [ids],
  );
  return new Set(rows.map((r) => r.event_id));
}

export async function markApplied(sql: Sql, schema: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await sql(`INSERT INTO ${assertSchemaName(schema)}.processed_events (event_id) SELECT unnest($1::text[])`, [ids]);
}
