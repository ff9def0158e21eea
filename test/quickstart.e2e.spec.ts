import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TestDatabase, createTestDatabase, ensureKafka, readEncryptedXlsx, sheetObjects, uniqueTopic } from '@casestats/testing';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

function quickStart(title: string, extraEnv: () => Promise<Record<string, string>>, cleanup: () => Promise<void> = async () => undefined) {
describe(title, () => {
  let clone: string;
  let child: ChildProcess;
  let output = '';
  let exportPort: number;
  let pgPort: number;

  beforeAll(async () => {
    clone = join(mkdtempSync(join(tmpdir(), 'casestats-quickstart-')), 'casestats');
    execFileSync('git', ['clone', '-q', REPO_ROOT, clone]);
    // What `npm ci` would install: the same lock file's node_modules.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    exportPort = await freePort();
    const env: Record<string, string> = {};
    for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key]!;
    child = spawn('npm', ['start', '--', '--rate', '200'], {
      cwd: clone,
      env: { ...env, EXPORT_PORT: String(exportPort), EMBEDDED_PG_PORT: String((pgPort = await freePort())), PROJECTOR_PORT: '0', ...(await extraEnv()) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that "Ctrl-C" reaches npm and the node process under it, as a terminal does.
      detached: true,
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  }, 120_000);

  afterAll(async () => {
    writeFileSync(join(tmpdir(), 'quickstart-output.log'), output);
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await cleanup();
  });

  it('prints the page with a demo sign-in, exports through the API, and stops cleanly on Ctrl-C', async () => {
    const deadline = Date.now() + 120_000;
    let link: RegExpExecArray | null = null;
    while (!(link = /export page:\s+(http:\/\/\S+)\/#token=(\S+)/.exec(output))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no page link; output:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const [, url, token] = link;
    expect(url).toBe(`http://127.0.0.1:${exportPort}`);
    expect(await (await fetch(url)).text()).toContain('<h1 data-i18n="title">케이스별 상담 통계</h1>');

    // Wait until the simulator's backfill is projected, then export the demo member's channel.
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const request = () =>
      fetch(`${url}/api/channels/ch-1/case-exports`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ from: '2025-07-01', to: '2025-12-31', password: 'Demo1234', reason: 'quick start test' }),
      });
    let created = await request();
    let accepted = (await created.json()) as { id: string; totalRows: number };
    while (accepted.totalRows < 100) {
      if (Date.now() > deadline + 60_000) throw new Error(`nothing projected; output:\n${output}`);
      await new Promise((r) => setTimeout(r, 500));
      created = await request();
      accepted = (await created.json()) as { id: string; totalRows: number };
    }
    expect(created.status).toBe(202);
    const { id, totalRows } = accepted;
    let job: { status: string; rowsWritten: number; totalRows: number } = { status: 'queued', rowsWritten: 0, totalRows };
    while (!['succeeded', 'failed'].includes(job.status)) {
      await new Promise((r) => setTimeout(r, 200));
      job = (await (await fetch(`${url}/api/channels/ch-1/case-exports/${id}`, { headers: auth })).json()) as typeof job;
    }
    // The simulator keeps playing: the file is the snapshot taken when the job ran, at least what was counted.
    expect(job.status).toBe('succeeded');
    expect(job.rowsWritten).toBe(job.totalRows);
    expect(job.totalRows).toBeGreaterThanOrEqual(totalRows);
    const file = Buffer.from(await (await fetch(`${url}/api/channels/ch-1/case-exports/${id}/file`, { headers: auth })).arrayBuffer());
    const path = join(clone, 'demo.xlsx');
    writeFileSync(path, file);
    const book = await readEncryptedXlsx(path, 'Demo1234');
    const rows = sheetObjects(book, 'Case data');
    expect(rows).toHaveLength(job.rowsWritten);
    expect(new Set(rows.map((r) => r.mediumName)).size).toBeGreaterThan(3);
    expect(rows.every((r) => String(r.userChatUrl).includes('/channels/ch-1/'))).toBe(true);

    // The dashboard's figures for the same channel and range hold the simulator's cases (503 while its table loads).
    const askStats = () => fetch(`${url}/api/channels/ch-1/case-stats?from=2025-07-01&to=2025-12-31`, { headers: auth });
    let stats = await askStats();
    while (stats.status === 503 && Date.now() < deadline + 180_000) {
      await new Promise((r) => setTimeout(r, 500));
      stats = await askStats();
    }
    expect(stats.status).toBe(200);
    const figures = (await stats.json()) as { summary: { cases: number } };
    expect(figures.summary.cases).toBeGreaterThanOrEqual(totalRows);

    process.kill(-child.pid!, 'SIGINT');
    // npm itself dies of the signal, as in a terminal; what matters is that casestats stopped in order.
    await new Promise((resolve) => child.once('exit', resolve));
    expect(output).toContain('stopping');
    expect(output).not.toMatch(/casestats start: /);
    await expect(fetch(url)).rejects.toThrow();
    // The embedded PostgreSQL stopped with it.
    await new Promise((r) => setTimeout(r, 1000));
    const probe = spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', String(pgPort)]);
    expect(probe.status).not.toBe(0);
  }, 240_000);
});
}

quickStart('quick start: `npm start` on a fresh clone with no configuration', async () => ({}));

let kafkaDb: TestDatabase | undefined;
quickStart(
  'quick start with KAFKA_BROKERS and DATABASE_URL: the simulator publishes, the projector consumes',
  async () => {
    const { brokers } = await ensureKafka();
    kafkaDb = await createTestDatabase('cs_qs_kafka');
    return { KAFKA_BROKERS: brokers.join(','), DATABASE_URL: kafkaDb.url, KAFKA_TOPIC: uniqueTopic('quickstart'), KAFKA_GROUP_ID: uniqueTopic('quickstart-g') };
  },
  async () => {
    await kafkaDb?.drop();
  },
);
