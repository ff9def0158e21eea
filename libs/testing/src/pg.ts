import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, migrate } from '@casestats/read-model';

/** The machine's PostgreSQL for tests (trust auth). TEST_PG_URL points elsewhere. */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of its own for one test file, so files run in parallel without sharing state. */
export async function createTestDatabase(prefix = 'cs_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const c = new Client({ connectionString: TEST_PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A migrated database with an initialised TypeORM DataSource. */
export async function createMigratedDatabase(prefix?: string): Promise<TestDatabase & { dataSource: DataSource }> {
  const db = await createTestDatabase(prefix);
  const dataSource = createDataSource(db.url);
  await dataSource.initialize();
  await migrate(dataSource);
  return {
    ...db,
    dataSource,
    async drop() {
      await dataSource.destroy().catch(() => undefined);
      await db.drop();
    },
  };
}
