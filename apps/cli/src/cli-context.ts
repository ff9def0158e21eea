import { Config, loadConfig } from '@casestats/config';
import { Database, OpenDatabaseOptions, migrate, openDatabase } from '@casestats/read-model';
import { CliIo } from './cli-io';

export { consoleIo, type CliIo } from './cli-io';

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
