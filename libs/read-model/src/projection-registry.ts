import { DataSource } from 'typeorm';
import { assertSchemaName, projectionDdl, projectionSchemaName } from './projection-schema';

/** The projection schema that serves reads and the live projector. */
export async function activeSchema(db: DataSource): Promise<string> {
  const rows: { active_schema: string }[] = await db.query(
    `SELECT active_schema FROM projection_registry WHERE name = 'cases'`,
  );
  if (!rows.length) throw new Error('the database is not migrated: run `npx casestats migrate`');
  return assertSchemaName(rows[0].active_schema);
}

/** A fresh, empty projection schema (`proj_N`, N one above the highest there is), made in one transaction. */
export async function createProjectionSchema(db: DataSource): Promise<string> {
  const [{ n }] = await db.query(`SELECT coalesce(max(substring(nspname from 6)::int), 0) + 1 AS n FROM pg_namespace WHERE nspname ~ '^proj_[0-9]+$'`);
  const schema = projectionSchemaName(Number(n));
  await db.transaction(async (m) => {
    for (const sql of projectionDdl(schema)) await m.query(sql);
  });
  return schema;
}

/**
 * Makes `schema` the active projection by compare-and-set: only while `previous` still is, so
 * that two rebuilds cannot both win. Throws when it no longer is.
 */
export async function switchActiveSchema(db: DataSource, previous: string, schema: string): Promise<void> {
  const switched = await db.query(
    `UPDATE projection_registry SET active_schema = $1, updated_at = now() WHERE name = 'cases' AND active_schema = $2 RETURNING name`,
    [assertSchemaName(schema), previous],
  );
  if (!(Array.isArray(switched[0]) ? switched[0] : switched).length) {
    throw new Error(`the active projection changed during the rebuild (expected ${previous}); ${schema} was not switched in`);
  }
}
