import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORED_CASE_FIELDS, caseRecordJsonSchema } from '@casestats/case-projection';
import { createMigratedDatabase } from '@casestats/testing';
import { projectionDdl } from './projection-schema';

/**
 * The field table (case.fields.ts) declares the case_records columns; the migrations created them
 * over time. A field added to the table without its migration, or a column a migration changed
 * without the table, makes the migrated schema and a fresh one differ here.
 */
describe('the case field table and the schema', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  beforeAll(async () => {
    db = await createMigratedDatabase('cs_fields');
    for (const sql of projectionDdl('proj_9')) await db.dataSource.query(sql);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const columns = (schema: string) =>
    db.dataSource.query(
      `SELECT column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS "default", collation_name AS collation
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'case_records' ORDER BY column_name`,
      [schema],
    );
  const checks = (schema: string) =>
    db.dataSource.query(
      `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 AND t.relname = 'case_records' ORDER BY 1`,
      [schema],
    );

  it('a fresh schema from the table has exactly the columns and constraints the migrations made', async () => {
    const migrated = await columns('proj_1');
    expect(migrated.length).toBe(STORED_CASE_FIELDS.length);
    expect(await columns('proj_9')).toEqual(migrated);
    expect(await checks('proj_9')).toEqual(await checks('proj_1'));
  });

  it('every stored field has its column, typed and nullable as the table says', async () => {
    const byName = new Map<string, { type: string; nullable: string }>((await columns('proj_1')).map((c: { name: string }) => [c.name, c]));
    const sqlType = { text: 'text', integer: 'integer', timestamptz: 'timestamp with time zone', 'text[]': 'ARRAY', jsonb: 'jsonb' };
    for (const f of STORED_CASE_FIELDS) {
      expect(byName.get(f.column.name), f.key).toMatchObject({ type: sqlType[f.column.sql], nullable: f.nullable && !f.column.notNull ? 'YES' : 'NO' });
    }
  });

  it('the JSON schema lists every stored field, and only those', () => {
    const schema = caseRecordJsonSchema() as { required: string[]; properties: Record<string, { type: string; enum?: string[]; nullable?: boolean }> };
    expect(Object.keys(schema.properties)).toEqual(STORED_CASE_FIELDS.map((f) => f.key));
    expect(schema.properties.userChatCaseCreatedAt).toEqual({ type: 'string', format: 'date-time' });
    expect(schema.properties.direction).toEqual({ type: 'string', enum: ['INBOUND', 'OUTBOUND'] });
    expect(schema.properties.waitingTime).toMatchObject({ type: 'integer', nullable: true });
  });
});
