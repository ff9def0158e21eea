import { Config, requireJwtSecret } from '@casestats/config';
import { migrate, openDatabase } from '@casestats/read-model';
import { startExportServer } from './export-app';

/** The export process: database, migrations, the server, until SIGINT/SIGTERM. */
export async function runExportProcess(config: Config, log: (line: string) => void): Promise<void> {
  // Refused before anything starts: tokens signed elsewhere could never be checked.
  requireJwtSecret(config, 'the export server');
  const db = await openDatabase(config, { log });
  try {
    await migrate(db.dataSource);
    const server = await startExportServer(config, db.dataSource);
    log(`export app on ${server.url}`);
    // The one owner of the signals: the worker ends its jobs with a reason, then the app and the
    // database close, and the process exits 0. A second signal while stopping stops it at once.
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    log('stopping: ending the running exports');
    await server.close();
  } finally {
    await db.close();
  }
}
