import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@casestats/config';
import { embeddedDataDir, openDatabase } from '@casestats/read-model';
import { CASESTATS_BIN, REPO_ROOT } from '@casestats/testing';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
  token: string;
}

/** `casestats start` in a process group of its own, as a terminal runs it: a group signal is Ctrl-C. */
async function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [CASESTATS_BIN, 'start', '--chats', '400', '--backfill', '1000000'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 180_000;
  // The stream is all backfill: once it is complete, the data is in and the process is idle.
  while (!/the stream of \d+ events is complete/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not started; output:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const [, url, token] = /export page:\s+(http:\/\/\S+)\/#token=(\S+)/.exec(output)!;
  return { child, output: () => output, url, token };
}

/** Ctrl-C in a terminal under npm: the group gets SIGINT, and npm forwards another at once. */
async function ctrlC(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const t = Date.now();
  process.kill(-child.pid!, 'SIGINT');
  process.kill(child.pid!, 'SIGINT');
  const code = await exited;
  return { code, ms: Date.now() - t };
}

describe('npm start on the embedded PostgreSQL: Ctrl-C stops in order, the database last', () => {
  let env: Record<string, string>;
  let data: string;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'casestats-stop-'));
    env = { DATABASE_URL: '', CASESTATS_DATA_DIR: data, EMBEDDED_PG_PORT: String(await freePort()), EXPORT_PORT: String(await freePort()), PROJECTOR_PORT: '0' };
  });
  afterAll(() => {
    try {
      if (running?.pid) process.kill(-running.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    // As root the cluster lives under /var/lib/casestats (embeddedDataDir): remove it too.
    rmSync(dirname(embeddedDataDir(join(data, 'pg'))), { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  });

  it('Ctrl-C during exports: every job ends with its outcome written before the database stops', async () => {
    const { child, output, url, token } = await start(env);
    running = child;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${url}/api/channels/ch-1/case-exports`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ from: '2025-07-01', to: '2025-12-31', password: 'Demo1234', reason: `stop test ${i}` }),
      });
      expect(r.status).toBe(202);
      ids.push(((await r.json()) as { id: string }).id);
    }
    const { code } = await ctrlC(child);
    expect(code).toBe(0);
    // Before: the server got the terminal's SIGINT too, and stopped under the jobs' last writes.
    expect(output()).not.toMatch(/could not record|Connection terminated|database system is shutting down/);
    expect(output()).toContain('stopping: the export app');
    expect(output()).toMatch(/stopping: the embedded PostgreSQL…\ncasestats has stopped/);

    // The outcomes are in the database: none is left queued or running for a restart to find.
    const config = loadConfig({ CASESTATS_DATA_DIR: data, EMBEDDED_PG_PORT: env.EMBEDDED_PG_PORT }, REPO_ROOT);
    const db = await openDatabase(config);
    try {
      const jobs: { status: string; error: string | null }[] = await db.dataSource.query(`SELECT status, error FROM export_jobs WHERE id = ANY($1) ORDER BY created_at`, [ids]);
      expect(jobs).toHaveLength(3);
      for (const job of jobs) expect(['succeeded', 'failed']).toContain(job.status);
      expect(jobs.some((j) => j.status === 'failed' && /interrupted/.test(j.error ?? ''))).toBe(true);
    } finally {
      await db.close();
    }
  }, 420_000);

  it('Ctrl-C when idle stops within 3 s and says so', async () => {
    const { child, output } = await start(env);
    running = child;
    const { code, ms } = await ctrlC(child);
    expect(code).toBe(0);
    expect(output()).toMatch(/casestats has stopped \(\d+\.\d s after the signal\)\./);
    expect(ms).toBeLessThan(3000);
  }, 300_000);
});
