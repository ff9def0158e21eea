import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '@casestats/testing';
import { CaseSnapshot } from './case-snapshot';

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
const SELECTION = { channelId: 'ch-1', from: new Date('2025-07-01T00:00:00Z'), toExclusive: new Date('2025-08-01T00:00:00Z') };

/** An export's connections can be killed at any moment: the export fails, the process does not. */
describe('CaseSnapshot when its connection is killed', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let admin: Client;
  beforeAll(async () => {
    db = await createMigratedDatabase('cs_snapshot');
    admin = new Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.dataSource.destroy();
    await db?.drop();
  });

  const backendOf = async (snapshot: CaseSnapshot): Promise<number> => {
    // The snapshot's own session answers with its pid through the same guarded query path.
    return (snapshot as unknown as { client: Client }).client.query('SELECT pg_backend_pid() AS pid').then((r) => r.rows[0].pid as number);
  };

  it('rejects the next query of a joined snapshot, with no uncaught error, and closes quietly', async () => {
    const main = await CaseSnapshot.open(db.dataSource, 'proj_1', SELECTION);
    const joined = await CaseSnapshot.join(db.url, await main.share(), 'proj_1', SELECTION);
    expect(await joined.count()).toBe(0);
    await admin.query('SELECT pg_terminate_backend($1)', [await backendOf(joined)]);
    // Idle when killed, a client emits two errors: the server's FATAL, then the socket's end.
    await settle();
    await expect(joined.count()).rejects.toThrow();
    await expect(joined.count()).rejects.toThrow();
    await joined.close();
    expect(await main.count()).toBe(0);
    await admin.query('SELECT pg_terminate_backend($1)', [await backendOf(main)]);
    await settle();
    await expect(main.count()).rejects.toThrow();
    await main.close();
    // The pool goes on with a fresh connection.
    expect(await db.dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('refuses to join with an unknown snapshot id, and leaves no connection behind', async () => {
    await expect(CaseSnapshot.join(db.url, '00000003-0000001B-1', 'proj_1', SELECTION)).rejects.toThrow(/snapshot/i);
    await expect(CaseSnapshot.join(db.url, "x'; DROP TABLE users; --", 'proj_1', SELECTION)).rejects.toThrow(/not a snapshot id/);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'idle in transaction'`, [db.name]);
    expect(rows[0].n).toBe(0);
  });
});
