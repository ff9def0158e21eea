import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { activeSchema, createDataSource, migrate } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import { SCENARIOS_FILE, TestDatabase, createTestDatabase } from '@casestats/testing';
import { ExportServer, signMemberToken, startExportServer } from '@casestats/export-app';

const SECRET = 'download-secret-0123456789ab';
const BODY = { from: '2025-06-26', to: '2025-12-26', password: 'Secret42', reason: 'download test' };

/**
 * Downloads of files that are past their time or gone. Its own database and a housekeeping pass
 * that never comes during the test: the file's state is the one each test sets up, not whatever a
 * pass left behind.
 */
describe('export download of an expired or vanished file', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let dir: string;
  let server: ExportServer;
  const token = () => signMemberToken({ memberId: 'm-1', channelId: 'ch-1', permissions: ['caseStats:download'], expiresIn: '1h' }, SECRET, Math.floor(Date.now() / 1000));
  const call = async (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` } });
  const succeeded = async (): Promise<string> => {
    const { id } = (await (await call('/api/channels/ch-1/case-exports', { method: 'POST', body: JSON.stringify(BODY) })).json()) as { id: string };
    for (let i = 0; i < 300; i++) {
      const [job] = await ds.query(`SELECT status FROM export_jobs WHERE id = $1`, [id]);
      if (job.status === 'succeeded') return id;
      if (job.status === 'failed') throw new Error(`job ${id} failed`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} never succeeded`);
  };

  beforeAll(async () => {
    db = await createTestDatabase('cs_download');
    dir = mkdtempSync(join(tmpdir(), 'casestats-download-'));
    ds = createDataSource(db.url);
    await ds.initialize();
    await migrate(ds);
    await projectNdjsonFile(ds, await activeSchema(ds), SCENARIOS_FILE);
    const config = loadConfig({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: dir, EXPORT_MAINTENANCE_INTERVAL_MS: '3600000' });
    server = await startExportServer(config, ds, () => undefined, 0);
  });
  afterAll(async () => {
    await server?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('serves a file that is still within its time', async () => {
    const id = await succeeded();
    const res = await call(`/api/channels/ch-1/case-exports/${id}/file`);
    expect(res.status).toBe(200);
    const [job] = await ds.query(`SELECT bytes FROM export_jobs WHERE id = $1`, [id]);
    expect(res.headers.get('content-length')).toBe(String(job.bytes));
    expect((await res.arrayBuffer()).byteLength).toBe(Number(job.bytes));
  });

  it('answers 410 for a file past its time although housekeeping has not removed it yet', async () => {
    const id = await succeeded();
    await ds.query(`UPDATE export_jobs SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const res = await call(`/api/channels/ch-1/case-exports/${id}/file`);
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ code: 'EXPORT.EXPIRED' });
  });

  it('answers 410 with a whole response, not a cut connection, when the file is gone', async () => {
    const id = await succeeded();
    rmSync(join(dir, 'exports', `${id}.xlsx`));
    const res = await call(`/api/channels/ch-1/case-exports/${id}/file`);
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ code: 'EXPORT.EXPIRED' });
  });
});
