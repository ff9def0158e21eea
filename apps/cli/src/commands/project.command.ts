import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AppError, Config } from '@casestats/config';
import { activeSchema, projectNdjsonFile, sweepDueCases } from '@casestats/read-model';
import { CliIo, withDatabase } from '../cli-context';

export async function projectCommand(args: string[], config: Config, io: CliIo, now: () => number): Promise<number> {
  const { values } = parseArgs({ args, options: { events: { type: 'string' } }, strict: true });
  if (!values.events) throw new AppError('INPUT.INVALID', '--events FILE.ndjson is required');
  if (!existsSync(values.events)) throw new AppError('INPUT.INVALID', `--events: no such file ${values.events}`);
  const file = values.events;
  return withDatabase(config, io, async ({ dataSource }) => {
    const schema = await activeSchema(dataSource);
    const stats = await projectNdjsonFile(dataSource, schema, file);
    // Same rule as the live sweeper: cases whose window has passed are completed at closedAt + 1 h.
    const completed = await sweepDueCases(dataSource, schema, now() - config.projector.sweepGraceMs);
    io.out(
      `${stats.applied} applied, ${stats.duplicates} duplicate, ${stats.invalid} invalid (dead-lettered)` +
        `; ${completed} case(s) completed by time`,
    );
    return 0;
  });
}
