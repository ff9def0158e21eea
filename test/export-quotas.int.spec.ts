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
  const post = async (memberId: string, body: object, channelId = 'ch-1') => {
    const token = await signMemberToken({ memberId, channelId, permissions: ['caseStats:download'], expiresIn: '1h' }, SECRET, Math.floor(Date.now() / 1000));
    return fetch(`${server.url}/api/channels/${channelId}/case-exports`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
  };
  const job = async (id: string) => (await ds.query(`SELECT status, started_at FROM export_jobs WHERE id = $1`, [id]))[0];
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
      CASESTATS_DATA_DIR: mkdtempSync(join(tmpdir(), 'casestats-quota-')),
      EXPORT_WORKERS: '1',
      EXPORT_MAX_JOBS_PER_MEMBER: '2',
      EXPORT_MAX_JOBS_PER_CHANNEL: '4',
      EXPORT_MAX_DISK_MB: '1',
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
       VALUES ($1, 'ch-3', 'm-1', '2025-07-01', '2025-07-02', 'Asia/Seoul', 'kept', 'succeeded', 'x.xlsx', 2000000, now() + interval '1 hour')`,
      [kept],
    );
    const res = await post('m-5', SMALL);
    expect(res.status).toBe(507);
    expect(await res.json()).toMatchObject({ code: 'EXPORT.STORAGE_FULL' });
    await ds.query(`DELETE FROM export_jobs WHERE id = $1`, [kept]);
    expect((await post('m-5', SMALL)).status).toBe(202);
  });
});
