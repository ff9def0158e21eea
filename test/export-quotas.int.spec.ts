import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { createDataSource, migrate } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import { SCENARIOS_FILE, TestDatabase, cloneCases, createTestDatabase } from '@casestats/testing';
import { ExportServer, signMemberToken, startExportServer } from '@casestats/export-app';
import type { Config } from '@casestats/config';

const SECRET = 'quotas-secret-0123456789abcd';
/** Every case of ch-1, 60,000 clones included: a job that runs for seconds. */
const BIG = { from: '2025-06-26', to: '2025-12-26', password: 'Secret42', reason: 'big' };
/** A day without cases: a job that takes a moment. */
const SMALL = { from: '2025-06-26', to: '2025-06-27', password: 'Secret42', reason: 'small' };

/** Issue 22 item 4: bounds on queued and running jobs, fair turns across channels, a disk cap. */
describe('export quotas and fairness', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let server: ExportServer;
  let dataDir: string;
  const post = async (memberId: string, body: object, channelId = 'ch-1', to: ExportServer = server) => {
    const token = await signMemberToken({ memberId, channelId, permissions: ['caseStats:download'], expiresIn: '1h' }, SECRET, Math.floor(Date.now() / 1000));
    return fetch(`${to.url}/api/channels/${channelId}/case-exports`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
  };
  type JobRow = { status: string; started_at: Date; finished_at: Date; error: string | null; rows_written: number; bytes: string | null };
  const job = async (id: string): Promise<JobRow> =>
    (await ds.query(`SELECT status, started_at, finished_at, error, rows_written, bytes FROM export_jobs WHERE id = $1`, [id]))[0];
  const idOf = async (res: Response) => {
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const ended = (j: JobRow) => j.status === 'succeeded' || j.status === 'failed';
  /** Another server on the same database and folder, with its own settings; closed by the caller. */
  const serverWith = (env: Record<string, string>) => {
    const base = { DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: dataDir };
    const config: Config = loadConfig({ ...base, ...env });
    return startExportServer(config, ds, () => undefined, 0);
  };
  const until = async <T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (ok(v)) return v;
      if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('cs_quota');
    ds = createDataSource(db.url);
    await ds.initialize();
    await migrate(ds);
    await projectNdjsonFile(ds, 'proj_1', SCENARIOS_FILE);
    await cloneCases(db.url, 'ch-1', 'uc-basic-1', 60_000);
    const config = loadConfig({
      DATABASE_URL: db.url,
      EXPORT_JWT_SECRET: SECRET,
      CASESTATS_DATA_DIR: (dataDir = mkdtempSync(join(tmpdir(), 'casestats-quota-'))),
      EXPORT_WORKERS: '1',
      EXPORT_MAX_JOBS_PER_MEMBER: '2',
      EXPORT_MAX_JOBS_PER_CHANNEL: '4',
      EXPORT_MAX_DISK_MB: '1000',
    });
    server = await startExportServer(config, ds, () => undefined, 0);
  });
  afterAll(async () => {
    await server?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('bounds queued and running jobs per member and per channel with 429, and serves channels in turn', async () => {
    const big = await post('m-1', BIG);
    expect(big.status).toBe(202);
    const bigId = ((await big.json()) as { id: string }).id;
    await until(() => job(bigId), (j) => j.status === 'running');

    // One member at once: the big job and one more.
    const burst = await Promise.all([1, 2, 3, 4, 5].map(() => post('m-1', SMALL)));
    expect(burst.map((r) => r.status).sort()).toEqual([202, 429, 429, 429, 429]);
    const refused = (await Promise.all(burst.filter((r) => r.status === 429).map((r) => r.json()))) as { code: string; message: string }[];
    expect(refused[0]).toMatchObject({ code: 'EXPORT.TOO_MANY_JOBS', message: expect.stringMatching(/one member/) });

    // The channel: four at once, whoever asks.
    const others = await Promise.all(['m-2', 'm-3', 'm-4'].map((m) => post(m, SMALL)));
    expect(others.map((r) => r.status).sort()).toEqual([202, 202, 429]);
    expect(await others.find((r) => r.status === 429)!.json()).toMatchObject({ code: 'EXPORT.TOO_MANY_JOBS', message: expect.stringMatching(/this channel/) });
    const queuedCh1 = await Promise.all([...burst, ...others].filter((r) => r.status === 202).map(async (r) => ((await r.json()) as { id: string }).id));

    // Another channel is not held by ch-1's bound, and its job goes before ch-1's queued ones.
    const ch2 = await post('m-9', SMALL, 'ch-2');
    expect(ch2.status).toBe(202);
    const ch2Id = ((await ch2.json()) as { id: string }).id;
    expect((await job(bigId)).status).toBe('running');
    const ch2Done = await until(() => job(ch2Id), (j) => j.status === 'succeeded', 120_000);
    const ch1Jobs = await Promise.all(queuedCh1.map(job));
    for (const j of ch1Jobs) {
      // First come first served ran all three of ch-1's before it.
      if (j.started_at) expect(j.started_at.getTime()).toBeGreaterThan(ch2Done.started_at.getTime());
    }
    for (const id of queuedCh1) await until(() => job(id), (j) => j.status === 'succeeded');
  }, 180_000);

  it('starts no new file while the kept files fill the disk allowed them (507)', async () => {
    // The first test's files are over the cap already: expired, they count no more.
    await ds.query(`UPDATE export_jobs SET status = 'expired' WHERE status = 'succeeded'`);
    const kept = randomUUID();
    await ds.query(
      `INSERT INTO export_jobs (id, channel_id, member_id, from_date, to_date, timezone, reason, status, file_name, bytes, expires_at)
       VALUES ($1, 'ch-3', 'm-1', '2025-07-01', '2025-07-02', 'Asia/Seoul', 'kept', 'succeeded', 'x.xlsx', 1100000000, now() + interval '1 hour')`,
      [kept],
    );
    const res = await post('m-5', SMALL);
    expect(res.status).toBe(507);
    expect(await res.json()).toMatchObject({ code: 'EXPORT.STORAGE_FULL' });
    await ds.query(`DELETE FROM export_jobs WHERE id = $1`, [kept]);
    expect((await post('m-5', SMALL)).status).toBe(202);
  });

  it('fails at its start, before writing, a job accepted while there was room that would take the files past the disk cap', async () => {
    // The first test's big export: its size is what the cap is set against.
    const [{ bytes }] = await ds.query(`SELECT bytes FROM export_jobs WHERE rows_written = 60007 AND bytes IS NOT NULL LIMIT 1`);
    await ds.query(`UPDATE export_jobs SET status = 'expired' WHERE status = 'succeeded'`);
    const capMb = Math.ceil((1.5 * Number(bytes)) / 1024 / 1024);
    // Two workers: the second job is claimed while the first is being written.
    const two = await serverWith({ EXPORT_WORKERS: '2', EXPORT_MAX_RUNNING_PER_CHANNEL: '2', EXPORT_MAX_DISK_MB: String(capMb) });
    try {
      // Both are let in: no file is kept yet. The old worker then wrote both, past the cap.
      const ids = await Promise.all([post('m-21', BIG, 'ch-1', two), post('m-22', BIG, 'ch-1', two)].map(async (r) => idOf(await r)));
      const jobs = await Promise.all(ids.map((id) => until(() => job(id), ended, 120_000)));
      expect(jobs.map((j) => j.status).sort()).toEqual(['failed', 'succeeded']);
      const [refused] = jobs.filter((j) => j.status === 'failed');
      expect(refused).toMatchObject({ rows_written: 0, error: expect.stringMatching(/space set aside.*EXPORT_MAX_DISK_MB/) });
      const kept = jobs.filter((j) => j.status === 'succeeded').reduce((sum, j) => sum + Number(j.bytes), 0);
      expect(kept).toBeLessThanOrEqual(capMb * 1024 * 1024);
      const [audit] = await ds.query(`SELECT outcome, message FROM export_audit WHERE job_id = $1`, [ids[jobs.indexOf(refused)]]);
      expect(audit).toMatchObject({ outcome: 'failed', message: refused.error });

      // No job running: the request passes (the kept files are under the cap), its file would not fit.
      await ds.query(`UPDATE export_jobs SET status = 'expired' WHERE status = 'succeeded'`);
      await ds.query(
        `INSERT INTO export_jobs (id, channel_id, member_id, from_date, to_date, timezone, reason, status, file_name, bytes, expires_at)
         VALUES ($1, 'ch-3', 'm-1', '2025-07-01', '2025-07-02', 'Asia/Seoul', 'kept', 'succeeded', 'x.xlsx', $2, now() + interval '1 hour')`,
        [randomUUID(), capMb * 1024 * 1024 - 1],
      );
      const late = await idOf(await post('m-24', BIG, 'ch-1', two));
      expect(await until(() => job(late), ended)).toMatchObject({ status: 'failed', rows_written: 0, error: expect.stringMatching(/space set aside/) });
    } finally {
      await two.close();
      await ds.query(`UPDATE export_jobs SET status = 'expired' WHERE status = 'succeeded'`);
    }
  }, 180_000);

  it("keeps a worker for other channels: one channel's queue cannot hold every worker", async () => {
    // Two workers, and at most one of them (EXPORT_MAX_RUNNING_PER_CHANNEL's default) for ch-1.
    const two = await serverWith({ EXPORT_WORKERS: '2' });
    try {
      const ch1 = await Promise.all([post('m-31', BIG, 'ch-1', two), post('m-32', BIG, 'ch-1', two)].map(async (r) => idOf(await r)));
      await until(() => Promise.all(ch1.map(job)), (js) => js.some((j) => j.status === 'running'));
      const ch2 = await idOf(await post('m-39', SMALL, 'ch-2', two));
      const done = await until(() => job(ch2), ended, 120_000);
      expect(done.status).toBe('succeeded');
      // The old worker ran both of ch-1's big exports, and ch-2's 0-row one waited for one of them.
      const [a, b] = await Promise.all(ch1.map((id) => until(() => job(id), ended, 120_000)));
      expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
      expect(done.started_at.getTime()).toBeLessThan(Math.min(a.finished_at.getTime(), b.finished_at.getTime()));
      // ch-1's own jobs took one worker in turn.
      const [first, second] = a.started_at < b.started_at ? [a, b] : [b, a];
      expect(second.started_at.getTime()).toBeGreaterThanOrEqual(first.finished_at.getTime());
    } finally {
      await two.close();
    }
  }, 240_000);
});
