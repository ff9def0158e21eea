/**
 * The export API under load (issue 22 item 4), on one export server with the default limits, in a
 * process of its own (`casestats serve`, the bundle: build first) so that its memory is its own:
 * 100 concurrent export requests from one member (the whole range of ch-1, 60,007 cases), then a
 * 0-row export of another channel, how long that one waits; 200 connections that send headers and
 * part of a body, then nothing, how long each is held; the server's RSS at start, its peak, and
 * after. Builds its own database (the test fixtures, 60,000 clones in ch-1) and drops it.
 *   node scripts/build.mjs --if-stale && node bin/run-ts.js bench/export-load.bench.ts
 * Prints one JSON line.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { signMemberToken } from '@casestats/export-app';
import { createDataSource, migrate } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import { CASESTATS_BIN, REPO_ROOT, SCENARIOS_FILE, cloneCases, createTestDatabase } from '@casestats/testing';

const SECRET = 'load-bench-secret-0123456789';
const BIG = { from: '2025-06-26', to: '2025-12-26', password: 'Secret42', reason: 'load bench' };
/** A day without cases in ch-2. */
const EMPTY = { from: '2025-06-26', to: '2025-06-27', password: 'Secret42', reason: 'load bench' };
const log = (s: string) => console.error(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** VmRSS and VmHWM (the peak) of a process, in MB. */
function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: round(kb('VmRSS') / 1024, 0), peak: round(kb('VmHWM') / 1024, 0) };
}

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CASESTATS_BIN, 'serve'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const { stdout, stderr } = child;
  if (!stdout || !stderr) throw new Error('serve started without its pipes');
  stderr.resume();
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) {
        stdout.off('data', onData);
        stdout.resume();
        resolve(m[1]);
      }
    };
    stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`serve printed no url in 60 s: ${out}`)), 60_000).unref();
  });
  return { child, url };
}

/** Opens a connection that sends its headers and half its body, then nothing; resolves with how long the server held it. */
function stalledRequest(url: URL): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`POST /api/channels/ch-1/case-exports HTTP/1.1\r\nHost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{"from":`);
    });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.once('close', () => resolve(performance.now() - started));
  });
}

async function main() {
  const db = await createTestDatabase('cs_bench_load');
  const dir = mkdtempSync(join(tmpdir(), 'casestats-load-'));
  const ds = createDataSource(db.url);
  let server: { child: ChildProcess; url: string } | undefined;
  try {
    await ds.initialize();
    await migrate(ds);
    await projectNdjsonFile(ds, 'proj_1', SCENARIOS_FILE);
    await cloneCases(db.url, 'ch-1', 'uc-basic-1', 60_000);
    log('dataset ready');
    server = await startServer({ DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: dir, EXPORT_PORT: '0' });
    const { child, url } = server;
    const pid = child.pid ?? NaN;
    const atStart = memoryMb(pid);
    const now = () => Math.floor(Date.now() / 1000);
    const token = (memberId: string, channelId: string) =>
      signMemberToken({ memberId, channelId, permissions: ['caseStats:download'], expiresIn: '1h' }, SECRET, now());
    const call = async (memberId: string, channelId: string, path: string, body?: object) =>
      fetch(`${url}/api/channels/${channelId}/case-exports${path}`, {
        method: body ? 'POST' : 'GET',
        body: body && JSON.stringify(body),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(memberId, channelId)}` },
      });

    // One member, 100 requests at once.
    const burstStart = performance.now();
    const burst = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const res = await call('m-1', 'ch-1', '', BIG);
        const body = (await res.json()) as { id?: string; code?: string };
        return { status: res.status, code: body.code, id: body.id };
      }),
    );
    const burstSeconds = (performance.now() - burstStart) / 1000;
    const codes: Record<string, number> = {};
    for (const r of burst) codes[`${r.status}${r.code ? ` ${r.code}` : ''}`] = (codes[`${r.status}${r.code ? ` ${r.code}` : ''}`] ?? 0) + 1;
    log(`burst answered in ${round(burstSeconds)} s: ${JSON.stringify(codes)}`);

    // Another channel's 0-row export, right after.
    const otherStart = performance.now();
    const other = (await (await call('m-9', 'ch-2', '', EMPTY)).json()) as { id: string };
    let otherStatus = 'queued';
    while (otherStatus === 'queued' || otherStatus === 'running') {
      await sleep(50);
      otherStatus = ((await (await call('m-9', 'ch-2', `/${other.id}`)).json()) as { status: string }).status;
    }
    const otherSeconds = (performance.now() - otherStart) / 1000;
    const ch1Running = (await ds.query(`SELECT count(*)::int AS n FROM export_jobs WHERE channel_id = 'ch-1' AND status = 'running'`))[0].n;
    log(`ch-2's 0-row export ${otherStatus} after ${round(otherSeconds)} s`);

    // 200 stalled requests.
    const held = await Promise.all(Array.from({ length: 200 }, () => stalledRequest(new URL(url))));
    log(`stalled connections held ${round(Math.min(...held) / 1000)}–${round(Math.max(...held) / 1000)} s`);

    // The accepted exports to their end: the server's peak is taken over their run too.
    const accepted = burst.flatMap((r) => (r.id ? [r.id] : []));
    for (;;) {
      const [{ open }] = await ds.query(`SELECT count(*)::int AS open FROM export_jobs WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'running')`, [accepted]);
      if (open === 0) break;
      await sleep(200);
    }
    const files = await ds.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, sum(bytes)::float8 AS bytes, sum(rows_written)::float8 AS rows
         FROM export_jobs WHERE id = ANY($1::uuid[])`,
      [accepted],
    );
    const atEnd = memoryMb(pid);
    console.log(
      JSON.stringify({
        requests: burst.length,
        accepted: accepted.length,
        refused429: burst.filter((r) => r.status === 429).length,
        answers: codes,
        burstSeconds: round(burstSeconds),
        otherChannelEmptyExport: { status: otherStatus, seconds: round(otherSeconds), ch1RunningWhenDone: ch1Running },
        stalledConnectionsHeldSeconds: { min: round(Math.min(...held) / 1000), max: round(Math.max(...held) / 1000) },
        acceptedExports: { succeeded: files[0].succeeded, bytesPerRow: round(files[0].bytes / files[0].rows) },
        serverRssMb: { start: atStart.rss, peak: atEnd.peak, end: atEnd.rss },
      }),
    );
  } finally {
    server?.child.kill();
    await ds.destroy().catch(() => undefined);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
