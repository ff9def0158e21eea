import { Config } from '@casestats/config';
import { runExportProcess } from '@casestats/export-app';
import { CliIo } from '../cli-context';

/** `casestats serve`: the export app (API, jobs, web page) until SIGINT/SIGTERM. */
export async function serveCommand(_opts: object, config: Config, io: CliIo): Promise<number> {
  await runExportProcess(config, io.err);
  return 0;
}
