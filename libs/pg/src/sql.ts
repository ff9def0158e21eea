import type { DataSource, QueryRunner } from 'typeorm';
import type { Pool } from 'pg';

/** A query inside the current transaction; repositories take this, never a connection. */
export type Sql = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

/**
 * Where transactions run: the application's TypeORM DataSource, or a bare pg pool for a worker
 * thread that applies batches and need not load TypeORM (0.6 s of every thread's start).
 */
export type Transactional = DataSource | Pool;

export function sqlOf(runner: QueryRunner): Sql {
  return (text, params) => runner.query(text, params);
}

/** Runs `work` in one transaction on one connection; rolls back on any error. */
export async function inTransaction<T>(db: Transactional, work: (sql: Sql) => Promise<T>): Promise<T> {
  if (!('createQueryRunner' in db)) return inPoolTransaction(db, work);
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const result = await work(sqlOf(runner));
    await runner.commitTransaction();
    return result;
  } catch (err) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  } finally {
    await runner.release();
  }
}

async function inPoolTransaction<T>(pool: Pool, work: (sql: Sql) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(async (text, params) => (await client.query(text, params)).rows);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A connection that cannot even roll back is dropped from the pool, not handed out again.
    await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    client.release(broken);
  }
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * SQL for an instant sent as epoch milliseconds. Exact: float division is correctly rounded, and
 * to_timestamp rounds to the microsecond a double that is accurate to far less. (Dividing by the
 * numeric 1000.0 gave the same double through numeric arithmetic, a third of the statement's time.)
 */
export function fromEpochMs(column: string): string {
  return `to_timestamp(${column}::float8 / 1000)`;
}
