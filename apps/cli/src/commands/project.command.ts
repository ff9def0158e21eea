import { existsSync, statSync } from 'node:fs';
import { AppError, Config } from '@casestats/config';
import { FileDeadLetter, type FileProjectionStats, projectEventsFile } from '@casestats/source-file';
import { activeSchema, sweepDueCases } from '@casestats/read-model';
import { CliIo, withDatabase } from '../cli-context';

export interface ProjectOptions {
  events: string;
  /** How often a long file reports how far it got (PROGRESS_EVERY_MS unless given; the hidden --progress-every-ms). */
  progressEveryMs?: number;
}

/** How often a long file reports how far it got (on stderr). */
export const PROGRESS_EVERY_MS = 5000;
/** Dead letters printed one by one; past this many only their total. */
const LETTERS_SHOWN = 20;

/** The first letters by line number, whatever order the lanes report them in. */
class FirstLetters {
  readonly kept: FileDeadLetter[] = [];
  add(letter: FileDeadLetter): void {
    if (this.kept.length >= LETTERS_SHOWN && letter.line > this.kept[this.kept.length - 1].line) return;
    this.kept.push(letter);
    this.kept.sort((a, b) => a.line - b.line);
    if (this.kept.length > LETTERS_SHOWN) this.kept.pop();
  }
}

export async function projectCommand(opts: ProjectOptions, config: Config, io: CliIo, now: () => number): Promise<number> {
  const file = opts.events;
  if (!existsSync(file)) throw new AppError('INPUT.INVALID', `--events: no such file ${file}`);
  if (!statSync(file).isFile()) throw new AppError('INPUT.INVALID', `--events: ${file} is not a file`);
  return withDatabase(config, io, async ({ dataSource }) => {
    const schema = await activeSchema(dataSource);
    const started = now();
    let reported = started;
    const every = opts.progressEveryMs ?? PROGRESS_EVERY_MS;
    const onProgress = (stats: FileProjectionStats) => {
      if (now() - reported < every) return;
      reported = now();
      const rate = Math.round(stats.lines / Math.max(0.001, (reported - started) / 1000));
      io.err(`project: ${stats.lines} lines read, ${stats.applied} applied, ${stats.invalid} invalid (${rate} lines/s)`);
    };
    const letters = new FirstLetters();
    const stats = await projectEventsFile(dataSource, schema, file, {
      applyThreads: config.projector.applyThreads,
      onProgress,
      onDeadLetter: (letter) => letters.add(letter),
    });
    // Same rule as the live sweeper: cases whose window has passed are completed at closedAt + 1 h.
    const completed = await sweepDueCases(dataSource, schema, now() - config.projector.sweepGraceMs);
    for (const l of letters.kept) io.out(`line ${l.line}: ${l.code}: ${l.reason}`);
    if (stats.invalid > letters.kept.length) io.out(`… and ${stats.invalid - letters.kept.length} more dead letter(s); all are in the dead_letters table`);
    io.out(
      `${stats.applied} applied, ${stats.duplicates} duplicate, ${stats.invalid} invalid (dead-lettered)` +
        `; ${completed} case(s) completed by time`,
    );
    return 0;
  });
}
