/**
 * The projection's write path without TypeORM, for the projector's apply threads: the index loads
 * TypeORM (entities, migrations), which alone takes 0.6 s of each thread's start.
 */
import { Pool } from 'pg';

export { applyBatch } from './apply-batch';
export type { BatchInput, BatchStats } from './apply-batch';

/** A pool of `size` connections to `url`, whose lost idle connections are only dropped (the next batch fails and is retried). */
export function createApplyPool(url: string, size: number): Pool {
  const pool = new Pool({ connectionString: url, max: size, application_name: 'casestats' });
  pool.on('error', () => undefined);
  return pool;
}
