import { DataSource } from 'typeorm';
import { assertSchemaName } from './projection-schema';

/** The projection schema that serves reads and the live projector. */
export async function activeSchema(db: DataSource): Promise<string> {
  const rows: { active_schema: string }[] = await db.query(
    `SELECT active_schema FROM projection_registry WHERE name = 'cases'`,
  );
  if (!rows.length) throw new Error('the database is not migrated: run `npx casestats migrate`');
  return assertSchemaName(rows[0].active_schema);
}
