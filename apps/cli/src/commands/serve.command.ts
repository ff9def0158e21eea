import { Config } from '@casestats/config';
import { migrate, openDatabase } from '@casestats/read-model';
import { startExportServer } from '../../../export/src/export-app';
import { CliIo } from '../cli-context';

/** `casestats serve`: the export app (API, jobs, web page) until SIGINT/SIGTERM. */
export async function serveCommand(_args: string[], config: Config, io: CliIo): Promise<number> {
  const db = await openDatabase(config, { log: io.err });
  try {
    await migrate(db.dataSource);
    const server = await startExportServer(config, db.dataSource);
    io.err(`export app on ${server.url}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return 0;
  } finally {
    await db.close();
  }
}
