/**
 * The projection's tables live in a PostgreSQL schema of their own (`proj_1`, `proj_2`, …), so that
 * a rebuild can fill a fresh version while the active one keeps serving, then switch by one update
 * of `projection_registry`.
 */
const SCHEMA_NAME = /^proj_[0-9]+$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a projection schema name: ${JSON.stringify(schema)}`);
  return schema;
}
