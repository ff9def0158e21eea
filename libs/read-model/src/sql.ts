import { DataSource, QueryRunner } from 'typeorm';

/** A query inside the current transaction; repositories take this, never a connection. */
export type Sql = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

export function sqlOf(runner: QueryRunner): Sql {
  return (text, params) => runner.query(text, params);
}

/** Runs `work` in one transaction on one connection; rolls back on any error. */
export async function inTransaction<T>(db: DataSource, work: (sql: Sql, runner: QueryRunner) => Promise<T>): Promise<T> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const result = await work(sqlOf(runner), runner);
    await runner.commitTransaction();
    return result;
  } catch (err) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  } finally {
    await runner.release();
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
