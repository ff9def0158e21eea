import { Config } from '@casestats/config';
import { migrate, openDatabase } from '@casestats/read-model';
import { startExportServer } from './export-app';

/** The export process: database, migrations, the server, until SIGINT/SIGTERM. */
export async function runExportProcess(config: Config, log: (line: string) => void): Promise<void> {
  const db = await openDatabase(config, { log });
  try {
    await migrate(db.dataSource);
    const server = await startExportServer(config, db.dataSource);
    log(`export app on ${server.url}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
  } finally {
    await db.close();
  }
}
