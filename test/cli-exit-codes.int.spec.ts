import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { embeddedDataDir } from '@casestats/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASESTATS_BIN, REPO_ROOT, TestDatabase, createTestDatabase, runCasestats } from '@casestats/testing';

const COMMANDS = ['migrate', 'project', 'export', 'feed', 'start', 'projector', 'rebuild', 'serve', 'token', 'simulate'];

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('casestats usage: --help, unknown options and bad values', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('cs_cli_help');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('every command prints its usage on --help and exits 0, without settings and without doing its work', async () => {
    // Settings serve would refuse, and a database migrate would change: --help reads neither.
    const env = { DATABASE_URL: db.url, EXPORT_JWT_SECRET: '', EXPORT_PORT: 'not-a-port' };
    for (const command of COMMANDS) {
      const r = await runCasestats([command, '--help'], env);
      expect(r.code, `${command}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`Usage: casestats ${command}`);
    }
    const exportHelp = await runCasestats(['export', '--help'], env);
    expect(exportHelp.stdout).toMatch(/--password-file <file>/);
    expect(exportHelp.stdout).toMatch(/VISIBLE[\s\S]*ps/);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const tables = await c.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    await c.end();
    expect(tables.rows).toEqual([]);
    const top = await runCasestats(['--help'], env);
    expect(top.code).toBe(0);
    for (const command of COMMANDS) expect(top.stdout).toContain(command);
  }, 240_000);

  it.each([
    [['migrate', '--bogus'], /unknown option '--bogus'/],
    [['export', '--channel', 'ch-1', '--out', 'x.xlsx', '--frm', '2025-07-01'], /unknown option '--frm'/],
    [['simulate', '--chats', '-5', '--out', 'x.ndjson'], /--chats.*'-5' is invalid\. It must be a whole number of at least 1/],
    [['simulate', '--seed', '1.5', '--out', 'x.ndjson'], /--seed.*'1\.5' is invalid/],
    [['start', '--rate', 'fast'], /--rate.*'fast' is invalid/],
    [['project'], /required option '--events <file>' not specified/],
    [['token', '--channel', 'ch-1'], /required option '--member <id>' not specified/],
    [['simulate', '--out', 'x.ndjson', '--to-kafka'], /'--out <file>' cannot be used with option '--to-kafka'/],
    [['export', '--channel', 'ch-1', '--out', 'x.xlsx', '--password', 'a', '--password-file', 'p'], /cannot be used with/],
  ])('%j exits 2 with a clear message', async (args, message) => {
    const r = await runCasestats(args, { DATABASE_URL: db.url });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  }, 60_000);

  it('a permission no guard knows is refused (exit 2), naming the valid ones; known ones are signed', async () => {
    const env = { DATABASE_URL: db.url, EXPORT_JWT_SECRET: 'a-long-enough-test-secret' };
    const bogus = await runCasestats(['token', '--channel', 'ch-1', '--member', 'm-1', '--permission', 'caseStats:download', '--permission', 'caseStats:bogus'], env);
    expect(bogus.stderr).toMatch(/--permission: unknown "caseStats:bogus"; the permissions are caseStats:download, caseStats:view, caseStats:audit/);
    expect(bogus.stdout).toBe('');
    expect(bogus.code).toBe(2);
    const known = await runCasestats(['token', '--channel', 'ch-1', '--member', 'm-1', '--permission', 'caseStats:view', '--permission', 'caseStats:audit'], env);
    expect(known.code, known.stderr).toBe(0);
    expect(known.stdout.trim().split('.')).toHaveLength(3);
  }, 60_000);

  it.each([
    [['token', '--channel', 'ch-1', '--member', 'm-1'], { EXPORT_JWT_SECRET: '' }, /EXPORT_JWT_SECRET is not set/],
    [['serve'], { EXPORT_JWT_SECRET: '' }, /EXPORT_JWT_SECRET is not set/],
    [['projector'], { KAFKA_BROKERS: '' }, /KAFKA_BROKERS is required/],
    [['rebuild'], { KAFKA_BROKERS: '' }, /KAFKA_BROKERS is required/],
    [['migrate'], { EXPORT_PORT: 'not-a-port' }, /invalid configuration: EXPORT_PORT/],
  ])('%j with a missing or invalid setting %j is invalid input: exit 2, as the README says', async (args, settings, message) => {
    const r = await runCasestats(args, { DATABASE_URL: db.url, ...settings });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  }, 60_000);

  it('feed and simulate to a folder that does not exist exit 1 and name it, not the .partial file', async () => {
    const feed = await runCasestats(['feed', '--channel', 'ch-1', '--out', '/nonexistent/dir/x.ndjson'], { DATABASE_URL: db.url });
    expect(feed.stderr).toMatch(/cannot write \/nonexistent\/dir\/x\.ndjson: the folder \/nonexistent\/dir does not exist/);
    expect(feed.stderr).not.toMatch(/ENOENT|\.partial/);
    expect(feed.code).toBe(1);
    const simulate = await runCasestats(['simulate', '--chats', '1', '--out', '/nonexistent/dir/x.ndjson'], { DATABASE_URL: db.url });
    expect(simulate.stderr).toMatch(/cannot write \/nonexistent\/dir\/x\.ndjson: the folder \/nonexistent\/dir does not exist/);
    expect(simulate.stderr).not.toMatch(/ENOENT/);
    expect(simulate.code).toBe(1);
  }, 60_000);

  it.each([['serve'], ['start', '--chats', '1', '--backfill', '0']])('%j on a busy port exits 1 and says so, instead of running on', async (...args) => {
    // Something else holds EXPORT_PORT on EXPORT_HOST.
    const blocker = createServer((s) => s.destroy());
    const busy = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      const started = Date.now();
      const r = await runCasestats(args, { DATABASE_URL: db.url, EXPORT_JWT_SECRET: 'a-long-enough-test-secret', EXPORT_HOST: '127.0.0.1', EXPORT_PORT: String(busy), KAFKA_BROKERS: '' }, 40_000);
      expect(r.stderr).toMatch(new RegExp(`casestats ${args[0]}: port ${busy} on 127\\.0\\.0\\.1 is in use`));
      expect(r.code, r.stderr).toBe(1);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      blocker.close();
    }
  }, 60_000);
});

describe('casestats exit codes on the embedded PostgreSQL (DATABASE_URL unset)', () => {
  let data: string;
  let env: Record<string, string>;
  let port: number;
  const isUp = async () => {
    const probe = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'casestats-embedded', database: 'postgres', connectionTimeoutMillis: 2000 });
    try {
      await probe.connect();
      return true;
    } catch {
      return false;
    } finally {
      await probe.end().catch(() => undefined);
    }
  };

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'casestats-embedded-exit-'));
    port = await freePort();
    env = { DATABASE_URL: '', CASESTATS_DATA_DIR: data, EMBEDDED_PG_PORT: String(port) };
  });
  afterAll(() => {
    // As root the cluster lives under /var/lib/casestats (embeddedDataDir): remove it too.
    rmSync(dirname(embeddedDataDir(join(data, 'pg'))), { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  });

  it('migrate on a fresh data folder exits 0, and the server it started is stopped after', async () => {
    const r = await runCasestats(['migrate'], env, 240_000);
    expect(r.stderr).not.toMatch(/TypeError|undefined/);
    expect(r.stdout).toMatch(/applied migrations: /);
    expect(r.code).toBe(0);
    expect(await isUp()).toBe(false);
  }, 300_000);

  it('a failure after the database opened exits 1, not the exit hook of the embedded server', async () => {
    // The folder is writable, but the finished file cannot be renamed onto a folder of the same name.
    const out = mkdtempSync(join(tmpdir(), 'casestats-embedded-out-'));
    mkdirSync(join(out, 'a.xlsx'));
    const args = ['export', '--channel', 'ch-1', '--from', '2025-07-01', '--to', '2025-07-31', '--password', 'Secret42', '--reason', 'exit code', '--out', join(out, 'a.xlsx')];
    const r = await runCasestats(args, env, 240_000);
    expect(r.stderr).toMatch(/casestats export: /);
    expect(r.code).toBe(1);
    expect(readdirSync(out)).toEqual(['a.xlsx']);
    expect(await isUp()).toBe(false);
    rmSync(out, { recursive: true, force: true });
  }, 300_000);

  it('invalid input exits 2 on the embedded database too', async () => {
    const out = mkdtempSync(join(tmpdir(), 'casestats-embedded-out-'));
    const args = ['export', '--channel', 'ch-1', '--from', '2025-07-01', '--to', '2025-07-31', '--password', 'Secret42', '--reason', 'cap', '--out', join(out, 'a.xlsx')];
    // The database is empty: no case matches, so no cap can refuse; an impossible day can.
    const r = await runCasestats(args.map((a) => (a === '2025-07-31' ? '2025-07-32' : a)), env, 240_000);
    expect(r.stderr).toMatch(/to must be a calendar date/);
    expect(r.code).toBe(2);
    rmSync(out, { recursive: true, force: true });
  }, 300_000);

  it('export to a folder that does not exist exits 1 and names it', async () => {
    const r = await runCasestats(
      ['export', '--channel', 'ch-1', '--from', '2025-07-01', '--to', '2025-07-31', '--password', 'Secret42', '--reason', 'x', '--out', '/nonexistent/dir/a.xlsx'],
      env,
      240_000,
    );
    expect(r.stderr).toMatch(/cannot write \/nonexistent\/dir\/a\.xlsx: the folder \/nonexistent\/dir does not exist/);
    expect(r.code).toBe(1);
  }, 300_000);

  it('a server that cannot start says why, with the end of its log, and exits 1', async () => {
    // Something that is not PostgreSQL holds the port.
    const blocker = createServer((s) => s.destroy());
    const busy = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      const r = await runCasestats(['migrate'], { ...env, EMBEDDED_PG_PORT: String(busy) }, 240_000);
      expect(r.stderr).toMatch(/embedded PostgreSQL .* did not start/);
      expect(r.stderr).toMatch(/could not bind|could not create any TCP\/IP sockets/);
      expect(r.code).toBe(1);
    } finally {
      blocker.close();
    }
  }, 300_000);
});

describe('casestats serve under npx: one Ctrl-C arrives twice', () => {
  let data: string;
  beforeAll(() => {
    data = mkdtempSync(join(tmpdir(), 'casestats-serve-'));
  });
  afterAll(() => {
    rmSync(dirname(embeddedDataDir(join(data, 'pg'))), { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  });

  it('the forwarded copy does not cut the orderly stop short: exit 0', async () => {
    // On the embedded database, whose stop takes a moment: the copy lands while serve is stopping.
    const env = { DATABASE_URL: '', EXPORT_JWT_SECRET: 'a-long-enough-test-secret', EXPORT_PORT: '0', CASESTATS_DATA_DIR: data, EMBEDDED_PG_PORT: String(await freePort()) };
    const child = spawn(process.execPath, [CASESTATS_BIN, 'serve'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const until = async (text: string) => {
      const deadline = Date.now() + 120_000;
      while (!output.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${text}": ${output}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await until('export app on');
    child.kill('SIGINT');
    await until('stopping: ending the running exports');
    child.kill('SIGINT');
    expect(await exited, output).toBe(0);
    expect(output).not.toMatch(/interrupted by SIGINT/);
  }, 180_000);
});
