import { Pool } from 'pg';

/**
 * How long one statement of a batch may run. The biggest batch statements take about a second; a
 * statement still running after two minutes is stuck (a lock never released, a hung backend), and
 * failing it lets its lane retry from the stored checkpoint instead of holding the partition while
 * the lanes keep the consumer in its group with heartbeats.
 */
export const APPLY_STATEMENT_TIMEOUT_MS = 120_000;

/**
 * The client's own limit, a little above the server's: it ends a statement on a connection that is
 * gone without a word (the server's timeout would never reach us), which TCP keep-alive also finds.
 */
const CLIENT_TIMEOUT_MARGIN_MS = 10_000;

/**
 * A pool of `size` connections to `url`, whose lost idle connections are only dropped (the next
 * batch fails and is retried). `statementTimeoutMs`: APPLY_STATEMENT_TIMEOUT_MS unless given (tests lower it).
 */
export function createApplyPool(url: string, size: number, statementTimeoutMs = APPLY_STATEMENT_TIMEOUT_MS): Pool {
  const pool = new Pool({
    connectionString: url,
    max: size,
    application_name: 'casestats',
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  pool.on('error', () => undefined);
  return pool;
}
