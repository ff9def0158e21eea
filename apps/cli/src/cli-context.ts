import { Config, loadConfig } from '@casestats/config';
import { Database, OpenDatabaseOptions, migrate, openDatabase } from '@casestats/read-model';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const consoleIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Opens the configured database (embedded when DATABASE_URL is unset), brings its schema up to date, and closes it after. */
export async function withDatabase<T>(
  config: Config,
  io: CliIo,
  work: (db: Database) => Promise<T>,
  options: OpenDatabaseOptions = {},
): Promise<T> {
  const db = await openDatabase(config, { log: io.err, ...options });
  try {
    await migrate(db.dataSource);
    return await work(db);
  } finally {
    await db.close();
  }
}

export function configFromEnv(): Config {
  return loadConfig();
}
