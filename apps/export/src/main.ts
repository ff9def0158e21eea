/** The export app on its own (`casestats serve` runs the same process). */
import { exitCodeOf, loadConfig } from '@casestats/config';
import { runExportProcess } from './export-process';

runExportProcess(loadConfig(), (line) => process.stderr.write(`${line}\n`)).catch((err) => {
  process.stderr.write(`export: ${(err as Error).message}\n`);
  process.exitCode = exitCodeOf(err);
});
