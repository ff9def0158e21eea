import { QueryRunner } from 'typeorm';

/** Every projection schema there is (`proj_1`, `proj_2`, …): a migration of the projection changes each. */
export async function projectionSchemas(q: QueryRunner): Promise<string[]> {
  const rows: { nspname: string }[] = await q.query(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^proj_[0-9]+$' ORDER BY nspname`);
  return rows.map((r) => r.nspname);
}

/** Runs each statement that `ddl` gives for a schema, in every projection schema. */
export async function inEveryProjection(q: QueryRunner, ddl: (schema: string) => string[]): Promise<void> {
  for (const schema of await projectionSchemas(q)) for (const sql of ddl(schema)) await q.query(sql);
}
