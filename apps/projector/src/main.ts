/** The projector on its own (`casestats projector` runs the same process). */
import { exitCodeOf, loadConfig } from '@casestats/config';
import { runProjectorProcess } from './projector-process';

runProjectorProcess(loadConfig(), (line) => process.stderr.write(`${line}\n`)).catch((err) => {
  process.stderr.write(`projector: ${(err as Error).message}\n`);
  process.exitCode = exitCodeOf(err);
});
