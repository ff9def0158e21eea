import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '@casestats/testing';

describe('migrations and TypeORM entities', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  beforeAll(async () => {
    db = await createMigratedDatabase('cs_schema');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('agree: the entities describe exactly what the migrations create', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('run once: a second migrate does nothing', async () => {
    expect(await db.dataSource.runMigrations()).toEqual([]);
  });
});
