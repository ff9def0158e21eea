import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
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

/**
 * The folder of a file a command writes (export, feed, simulate): a missing or read-only one fails
 * before the database opens, naming it (exit 1), instead of a bare ENOENT of a `.partial` file.
 */
export function assertWritableFolder(out: string): void {
  const folder = dirname(out);
  let isDir = false;
  try {
    isDir = statSync(folder).isDirectory();
  } catch {
    throw new Error(`cannot write ${out}: the folder ${folder} does not exist`);
  }
  if (!isDir) throw new Error(`cannot write ${out}: ${folder} is not a folder`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new Error(`cannot write ${out}: the folder ${folder} is not writable`);
  }
}
