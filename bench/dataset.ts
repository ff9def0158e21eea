import { Client } from 'pg';
import { parseEvent, CaseStatsEvent } from '@casestats/events';
import { simulate } from '@casestats/simulator';
import { applyBatch, createDataSource, migrate, sweepDueCases } from '@casestats/read-model';

/**
 * The benchmark dataset: simulator chats of one channel over six months, projected into PostgreSQL
 * through the real applyBatch path. Kept between runs (a marker table says what it holds).
 */
export async function ensureDataset(adminUrl: string, name: string, chats: number, log: (s: string) => void): Promise<string> {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount;
  if (exists) {
    const probe = new Client({ connectionString: url.toString() });
    await probe.connect();
    const done = await probe.query(`SELECT chats FROM bench_dataset`).catch(() => ({ rows: [] as { chats: number }[] }));
    await probe.end();
    if (done.rows[0]?.chats === chats) {
      await admin.end();
      // A dataset built by an older version gets this version's schema (new indexes, columns).
      const db = createDataSource(url.toString());
      await db.initialize();
      await migrate(db);
      await db.query('ANALYZE proj_1.case_records');
      await db.destroy();
      log(`dataset ${name}: ${chats} chats, already projected`);
      return url.toString();
    }
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();

  const db = createDataSource(url.toString());
  await db.initialize();
  await migrate(db);
  const started = Date.now();
  let batch: CaseStatsEvent[] = [];
  let n = 0;
  for (const wire of simulate({ chats, seed: 2026, days: 180, channels: 1 })) {
    const parsed = parseEvent(JSON.stringify(wire));
    if (parsed.ok) batch.push(parsed.event);
    if (batch.length === 5000) {
      await applyBatch(db, 'proj_1', { events: batch });
      n += batch.length;
      batch = [];
      if (n % 500_000 === 0) log(`  projected ${n} events (${Math.round(n / ((Date.now() - started) / 1000))}/s)`);
    }
  }
  await applyBatch(db, 'proj_1', { events: batch });
  await sweepDueCases(db, 'proj_1', Date.now());
  await db.query(`CREATE TABLE bench_dataset (chats integer NOT NULL)`);
  await db.query(`INSERT INTO bench_dataset VALUES ($1)`, [chats]);
  await db.query('VACUUM ANALYZE proj_1.case_records');
  await db.destroy();
  log(`dataset ${name}: projected ${n + batch.length} events of ${chats} chats in ${Math.round((Date.now() - started) / 1000)} s`);
  return url.toString();
}
