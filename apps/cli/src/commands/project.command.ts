import { existsSync, statSync } from 'node:fs';
import { AppError, Config } from '@casestats/config';
import { FileProjectionStats, activeSchema, projectNdjsonFile, sweepDueCases } from '@casestats/read-model';
import { CliIo, withDatabase } from '../cli-context';

export interface ProjectOptions {
  events: string;
}

/** How often a long file reports how far it got. */
const PROGRESS_EVERY_MS = 5000;

export async function projectCommand(opts: ProjectOptions, config: Config, io: CliIo, now: () => number): Promise<number> {
  const file = opts.events;
  if (!existsSync(file)) throw new AppError('INPUT.INVALID', `--events: no such file ${file}`);
  if (!statSync(file).isFile()) throw new AppError('INPUT.INVALID', `--events: ${file} is not a file`);
  return withDatabase(config, io, async ({ dataSource }) => {
    const schema = await activeSchema(dataSource);
    const started = now();
    let reported = started;
    const progress = (stats: FileProjectionStats) => {
      if (now() - reported < PROGRESS_EVERY_MS) return;
      reported = now();
      const seconds = (reported - started) / 1000;
      io.err(`project: ${stats.lines} lines read, ${stats.applied} applied, ${stats.invalid} invalid (${Math.round(stats.lines / seconds)} lines/s)`);
    };
    const stats = await projectNdjsonFile(dataSource, schema, file, undefined, progress);
    // Same rule as the live sweeper: cases whose window has passed are completed at closedAt + 1 h.
    const completed = await sweepDueCases(dataSource, schema, now() - config.projector.sweepGraceMs);
    io.out(
      `${stats.applied} applied, ${stats.duplicates} duplicate, ${stats.invalid} invalid (dead-lettered)` +
        `; ${completed} case(s) completed by time`,
    );
    return 0;
  });
}
