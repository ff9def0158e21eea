import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { createDataSource, migrate } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import { SCENARIOS_FILE, TEST_PG_ADMIN_URL, TestDatabase, cloneCases, createTestDatabase } from '@casestats/testing';
import { ExportServer, signMemberToken, startExportServer } from '@casestats/export-app';

const SECRET = 'jobs-secret-0123456789abcdef';
const BODY = { from: '2025-06-26', to: '2025-12-26', password: 'Secret42', reason: 'jobs test' };
const ROWS = 7 + 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Issue 22 items 3 and 8, issue 21 item 2: jobs through a database outage, leftovers, a shared folder. */
describe('export jobs through outages, restarts and a shared folder', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let dir: string;
  const env = () => ({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: dir });
  const token = () => signMemberToken({ memberId: 'm-1', channelId: 'ch-1', permissions: ['caseStats:download'], expiresIn: '1h' }, SECRET, Math.floor(Date.now() / 1000));
  const api = async (server: ExportServer, path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` } });
  const jobRow = async (id: string) => (await ds.query(`SELECT status, rows_written, error, attempts FROM export_jobs WHERE id = $1`, [id]))[0];
  const until = async <T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await probe().catch(() => undefined as T | undefined);
      if (v !== undefined && ok(v)) return v;
      if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
      await sleep(100);
    }
  };
  /** The database really goes away: new connections are refused and every open one is cut. */
  const setReachable = async (reachable: boolean) => {
    const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS ${reachable}`);
      if (!reachable) await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [db.name]);
    } finally {
      await admin.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('cs_jobs');
    dir = mkdtempSync(join(tmpdir(), 'casestats-jobs-'));
    ds = createDataSource(db.url);
    await ds.initialize();
    await migrate(ds);
    await projectNdjsonFile(ds, 'proj_1', SCENARIOS_FILE);
    await cloneCases(db.url, 'ch-1', 'uc-basic-1', ROWS - 7);
  });
  afterAll(async () => {
    await setReachable(true).catch(() => undefined);
    await ds?.destroy();
    await db?.drop();
  });

  it('a database outage mid-export answers 503, and the job ends soon after the database is back', async () => {
    const own = createDataSource(db.url);
    await own.initialize();
    const config = loadConfig({ ...env(), EXPORT_MAINTENANCE_INTERVAL_MS: '300', EXPORT_STALE_JOB_MS: '600000' });
    const server = await startExportServer(config, own, () => undefined, 0);
    try {
      const { id } = (await (await api(server, '/api/channels/ch-1/case-exports', { method: 'POST', body: JSON.stringify(BODY) })).json()) as { id: string };
      await until(() => jobRow(id), (j) => j.status === 'running' && j.rows_written > 0, 60_000);
      await setReachable(false);
      try {
        await sleep(1500);
        for (const res of [
          await api(server, '/api/channels/ch-1/case-exports'),
          await api(server, '/api/channels/ch-1/case-exports', { method: 'POST', body: JSON.stringify(BODY) }),
        ]) {
          expect(res.status).toBe(503);
          expect(await res.json()).toMatchObject({ code: 'DATABASE.UNAVAILABLE' });
        }
        await sleep(3000);
      } finally {
        await setReachable(true);
      }
      // The old worker wrote nothing while the database was away and kept the job `running` for good, its heartbeat alive.
      const ended = await until(() => jobRow(id), (j) => j.status === 'succeeded' || j.status === 'failed', 60_000);
      expect(ended).toMatchObject({ status: 'succeeded', rows_written: ROWS });
      expect(ended.attempts).toBeGreaterThanOrEqual(2);
      const [audit] = await ds.query(`SELECT outcome FROM export_audit WHERE job_id = $1`, [id]);
      expect(audit).toEqual({ outcome: 'succeeded' });
    } finally {
      await server.close();
      await own.destroy();
    }
  }, 180_000);

  /**
   * Holds the job's `succeeded` write inside PostgreSQL (a trigger waits on a lock the test holds),
   * so that the outage of `during` lands exactly while the outcome is being written.
   */
  const outageWhileRecording = async (during: () => Promise<void>) => {
    await ds.query(`CREATE OR REPLACE FUNCTION hold_outcome() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NEW; END $$`);
    await ds.query(`CREATE TRIGGER hold_outcome BEFORE UPDATE ON export_jobs FOR EACH ROW WHEN (OLD.status = 'running' AND NEW.status = 'succeeded') EXECUTE FUNCTION hold_outcome()`);
    const holder = new Client({ connectionString: db.url });
    holder.on('error', () => undefined);
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(4242)`);
      await during();
    } finally {
      // The outage ended the holder's session, and its lock with it.
      await holder.end().catch(() => undefined);
      await until(() => ds.query(`DROP TRIGGER IF EXISTS hold_outcome ON export_jobs`), () => true, 30_000);
    }
  };
  const waitingOnOutcome = () => ds.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted`);

  it('a database outage while the outcome is being written: the job ends succeeded soon after the database is back', async () => {
    const own = createDataSource(db.url);
    await own.initialize();
    const config = loadConfig({ ...env(), EXPORT_MAINTENANCE_INTERVAL_MS: '300', EXPORT_STALE_JOB_MS: '600000' });
    const server = await startExportServer(config, own, () => undefined, 0);
    try {
      let id = '';
      let back = 0;
      await outageWhileRecording(async () => {
        ({ id } = (await (await api(server, '/api/channels/ch-1/case-exports', { method: 'POST', body: JSON.stringify(BODY) })).json()) as { id: string });
        await until(waitingOnOutcome, ([{ n }]) => n > 0, 120_000);
        await setReachable(false);
        try {
          await sleep(3000);
        } finally {
          await setReachable(true);
          back = Date.now();
        }
      });
      const ended = await until(() => jobRow(id), (j) => j.status !== 'running', 15_000);
      expect(Date.now() - back).toBeLessThan(15_000);
      // Not run again: the file was made, only its outcome had to be written once more.
      expect(ended).toMatchObject({ status: 'succeeded', rows_written: ROWS, attempts: 1 });
      const audit = await ds.query(`SELECT outcome, row_count FROM export_audit WHERE job_id = $1`, [id]);
      expect(audit).toEqual([{ outcome: 'succeeded', row_count: ROWS }]);
      const res = await api(server, `/api/channels/ch-1/case-exports/${id}/file`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      await server.close();
      await own.destroy();
    }
  }, 180_000);

  it('an outcome that cannot be written before EXPORT_OUTCOME_RETRY_MS: the heartbeat stops and the job fails saying so', async () => {
    const own = createDataSource(db.url);
    await own.initialize();
    const config = loadConfig({ ...env(), EXPORT_MAINTENANCE_INTERVAL_MS: '300', EXPORT_STALE_JOB_MS: '2000', EXPORT_OUTCOME_RETRY_MS: '1000' });
    const server = await startExportServer(config, own, () => undefined, 0);
    try {
      let id = '';
      await outageWhileRecording(async () => {
        ({ id } = (await (await api(server, '/api/channels/ch-1/case-exports', { method: 'POST', body: JSON.stringify(BODY) })).json()) as { id: string });
        await until(waitingOnOutcome, ([{ n }]) => n > 0, 120_000);
        await setReachable(false);
        try {
          await sleep(2500);
        } finally {
          await setReachable(true);
        }
      });
      // The old worker's stale-job rule said "interrupted … its server stopped" of a server still up.
      const ended = await until(() => jobRow(id), (j) => j.status !== 'running', 15_000);
      expect(ended).toMatchObject({ status: 'failed', error: expect.stringMatching(/outcome could not be recorded/) });
      const [audit] = await ds.query(`SELECT outcome, message FROM export_audit WHERE job_id = $1`, [id]);
      expect(audit).toEqual({ outcome: 'failed', message: ended.error });
      // Failed as a job no one holds (stale): its heartbeat stopped once the outcome was given up. Its file goes too.
      await until(async () => readdirSync(join(dir, 'exports')), (files) => !files.some((f) => f.includes(id)), 10_000);
    } finally {
      await server.close();
      await own.destroy();
    }
  }, 180_000);

  it("fails at once, on start, the jobs a stopped process of this host left behind, and no live process's", async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => gone.once('exit', r));
    const alive = spawn('sleep', ['60']);
    const jobs = { dead: randomUUID(), deadQueued: randomUUID(), alive: randomUUID() };
    const worker = { dead: `${hostname()}-${gone.pid}-0a0b0c`, deadQueued: `${hostname()}-${gone.pid}-0a0b0c`, alive: `${hostname()}-${alive.pid}-0d0e0f` };
    for (const [key, id] of Object.entries(jobs)) {
      await ds.query(
        `INSERT INTO export_jobs (id, channel_id, member_id, from_date, to_date, timezone, reason, status, file_name, worker_id, heartbeat_at)
         VALUES ($1, 'ch-1', 'm-1', '2025-07-01', '2025-07-02', 'Asia/Seoul', 'leftover', $2, 'x.xlsx', $3, now())`,
        [id, key === 'deadQueued' ? 'queued' : 'running', worker[key as keyof typeof worker]],
      );
      await ds.query(`INSERT INTO export_audit (member_id, channel_id, outcome, http_status, job_id) VALUES ('m-1', 'ch-1', 'accepted', 202, $1)`, [id]);
    }
    const config = loadConfig({ ...env(), EXPORT_MAINTENANCE_INTERVAL_MS: '60000', EXPORT_STALE_JOB_MS: '600000' });
    const server = await startExportServer(config, ds, () => undefined, 0);
    try {
      // start() has run one housekeeping pass: no wait for a stale heartbeat.
      expect(await jobRow(jobs.dead)).toMatchObject({ status: 'failed', error: expect.stringMatching(/interrupted.*request it again/) });
      expect(await jobRow(jobs.deadQueued)).toMatchObject({ status: 'failed' });
      expect(await jobRow(jobs.alive)).toMatchObject({ status: 'running' });
      const audit = await ds.query(`SELECT job_id, outcome FROM export_audit WHERE job_id = ANY($1::uuid[]) ORDER BY outcome`, [Object.values(jobs)]);
      expect(audit.map((a: { outcome: string }) => a.outcome)).toEqual(['accepted', 'failed', 'failed']);
    } finally {
      await server.close();
      alive.kill();
      await ds.query(`DELETE FROM export_jobs WHERE id = ANY($1::uuid[])`, [Object.values(jobs)]);
    }
  });

  it('takes the jobs of a stopped worker of this process for dead, and never those of another live one beside it', async () => {
    const config = loadConfig({ ...env(), EXPORT_MAINTENANCE_INTERVAL_MS: '60000', EXPORT_STALE_JOB_MS: '600000' });
    // Two servers in one process, as the page tests run them: each one's housekeeping sees the other's jobs.
    const beside = await startExportServer(config, ds, () => undefined, 0);
    const jobs = { beside: randomUUID(), stopped: randomUUID() };
    const worker = { beside: beside.worker.instanceId, stopped: `${hostname()}-${process.pid}-0f0f0f` };
    for (const [key, id] of Object.entries(jobs)) {
      await ds.query(
        `INSERT INTO export_jobs (id, channel_id, member_id, from_date, to_date, timezone, reason, status, file_name, worker_id, heartbeat_at)
         VALUES ($1, 'ch-1', 'm-1', '2025-07-01', '2025-07-02', 'Asia/Seoul', 'side by side', 'running', 'x.xlsx', $2, now())`,
        [id, worker[key as keyof typeof worker]],
      );
    }
    const server = await startExportServer(config, ds, () => undefined, 0);
    try {
      expect(await jobRow(jobs.stopped)).toMatchObject({ status: 'failed' });
      expect(await jobRow(jobs.beside)).toMatchObject({ status: 'running' });
    } finally {
      await server.close();
      await beside.close();
      await ds.query(`DELETE FROM export_jobs WHERE id = ANY($1::uuid[])`, [Object.values(jobs)]);
    }
  });

  it("leaves alone the files its database does not know: another server sharing the folder may own them", async () => {
    const exportsDir = join(dir, 'exports');
    mkdirSync(exportsDir, { recursive: true });
    const strangers = [randomUUID(), randomUUID()];
    const names = [`${strangers[0]}.xlsx`, `.${strangers[1]}.xlsx.0123456789ab.partial`];
    for (const name of names) writeFileSync(join(exportsDir, name), 'x');
    // A job this database knows to be over: its file goes.
    const failed = randomUUID();
    await ds.query(
      `INSERT INTO export_jobs (id, channel_id, member_id, from_date, to_date, timezone, reason, status, file_name, worker_id, heartbeat_at)
       VALUES ($1, 'ch-1', 'm-1', '2025-07-01', '2025-07-02', 'Asia/Seoul', 'over', 'failed', 'x.xlsx', 'elsewhere', now())`,
      [failed],
    );
    writeFileSync(join(exportsDir, `${failed}.xlsx`), 'x');
    const server = await startExportServer(loadConfig({ ...env(), EXPORT_MAINTENANCE_INTERVAL_MS: '100' }), ds, () => undefined, 0);
    try {
      await until(async () => readdirSync(exportsDir), (files) => !files.includes(`${failed}.xlsx`), 10_000);
      await sleep(600);
      const left = readdirSync(exportsDir);
      for (const name of names) expect(left).toContain(name);
    } finally {
      await server.close();
    }
  });
});
