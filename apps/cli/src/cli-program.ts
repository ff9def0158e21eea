import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '@casestats/config';
import type { CliIo } from './cli-io';

/** What an action gets: its parsed options, the config (read only when it runs), the output, the clock. */
export type CommandRun<O> = (opts: O, config: Config, io: CliIo, now: () => number) => Promise<number>;

/** Runs a command whose module is loaded only now, so that `--help` and one command's dependencies never load another's. */
export type Runner = (name: string, load: () => CommandRun<never>, opts: object) => Promise<void>;

function lazy<O>(load: () => Record<string, unknown>, name: string): () => CommandRun<O> {
  // One literal require per command: the bundle (scripts/build.mjs) holds every command, yet runs a
  // command's module only when that command runs.
  return () => load()[name] as CommandRun<O>;
}

/** An integer option's parser: a bad value is a usage error (exit 2) that names the option. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `It must be a whole number of at least ${min}.` : `It must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const COMMAND_NAMES = ['migrate', 'project', 'export', 'feed', 'start', 'projector', 'rebuild', 'serve', 'token', 'simulate'] as const;

/** Every command, its options and help; commander parses and checks them, the actions do the work. */
export function buildProgram(io: CliIo, run: Runner): Command {
  const program = new Command('casestats')
    .description('casestats: case records from user-chat events, and their encrypted XLSX exports')
    .usage('<command> [options]')
    .helpCommand('help [command]', 'show the help of a command')
    .exitOverride()
    .showHelpAfterError('(run with --help for the usage)')
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    });

  program
    .command('migrate')
    .description('create or update the database schema (under an advisory lock)')
    .action((opts) => run('migrate', lazy(() => require('./commands/migrate.command'), 'migrateCommand'), opts));

  program
    .command('project')
    .description('apply an NDJSON events file through the same path as Kafka; prints each dead letter with its line and reason')
    .requiredOption('--events <file>', 'the events, one JSON object a line')
    // Hidden: the tests ask for the progress line on a small file; 5 s suits everyone else.
    .addOption(new Option('--progress-every-ms <ms>', 'how often the progress line is printed').argParser(integer(0)).hideHelp())
    .action((opts) => run('project', lazy(() => require('./commands/project.command'), 'projectCommand'), opts));

  program
    .command('export')
    .description('write an encrypted XLSX export of a channel (every rule of the export page applies)')
    .requiredOption('--channel <id>', 'the channel')
    .requiredOption('--out <file>', 'where to write the .xlsx (its folder must exist)')
    .option('--from <date>', 'first day, YYYY-MM-DD')
    .option('--to <date>', 'last day, YYYY-MM-DD (six months at most)')
    .option('--reason <text>', 'why the data is exported (1 to 500 characters; recorded in the audit log)')
    .addOption(
      new Option(
        '--password <password>',
        'the file password (4 to 64 letters and digits); VISIBLE to other users of this machine in `ps`: prefer --password-file, CASESTATS_EXPORT_PASSWORD or the prompt',
      ).conflicts('passwordFile'),
    )
    .option('--password-file <file>', 'read the password from the first line of this file')
    .option('--timezone <zone>', 'IANA time zone of the days and the times in the file (default CASESTATS_TIMEZONE)')
    .option('--team <id>', 'only cases of this team (repeatable)', collect)
    .option('--assignee <id>', 'only cases of this assignee (repeatable)', collect)
    .option('--tag <name>', 'only cases with this tag (repeatable)', collect)
    .option('--medium <name>', 'only cases of this medium (repeatable)', collect)
    .option('--direction <direction>', 'INBOUND or OUTBOUND (repeatable)', collect)
    .option('--case-state <state>', 'inProgress or completed (repeatable)', collect)
    .option('--chat-state <state>', 'queued, open, snoozed, missed or closed (repeatable)', collect)
    .addOption(new Option('--language <language>', 'language of the Export info and field guide sheets').choices(['ko', 'en']).default('ko'))
    .addHelpText(
      'after',
      '\nThe password: --password, else --password-file, else CASESTATS_EXPORT_PASSWORD, else a hidden prompt on a terminal.\n' +
        'Exit codes: 0 written, 2 invalid input (nothing was written), 1 any other failure. Ctrl-C removes the partial file.',
    )
    .action((opts) => run('export', lazy(() => require('./commands/export.command'), 'exportCommand'), opts));

  program
    .command('feed')
    .description("write a channel's case changes after --cursor as NDJSON, page after page, and print the cursor to resume from")
    .requiredOption('--channel <id>', 'the channel')
    .requiredOption('--out <file>', 'where to write the NDJSON (it appears only complete)')
    .option('--cursor <cursor>', 'resume after this cursor (none: from the beginning)')
    .option('--limit <n>', 'items a page', integer(1, 1000))
    .action((opts) => run('feed', lazy(() => require('./commands/feed.command'), 'feedCommand'), opts));

  program
    .command('start')
    .description('the whole product on embedded defaults: database, simulator, projection, export page (npm start)')
    .option('--chats <n>', 'chats the simulator plays', integer(1), 3000)
    .option('--seed <n>', 'the simulator seed', integer(0), 42)
    .option('--backfill <n>', 'events applied at full speed before the live pace', integer(0), 40_000)
    .option('--rate <n>', 'events a second once live', integer(1), 40)
    .action((opts) => run('start', lazy(() => require('./commands/start.command'), 'startCommand'), opts));

  program
    .command('projector')
    .description('consume Kafka into the projection (KAFKA_BROKERS, KAFKA_TOPIC, KAFKA_GROUP_ID); health and metrics on PROJECTOR_PORT')
    .action((opts) => run('projector', lazy(() => require('./commands/projector.command'), 'projectorCommand'), opts));

  program
    .command('rebuild')
    .description('replay the topic into a fresh projection version, then switch to it')
    .action((opts) => run('rebuild', lazy(() => require('./commands/rebuild.command'), 'rebuildCommand'), opts));

  program
    .command('serve')
    .description('the export app: API, jobs, audit and web page on EXPORT_PORT (needs EXPORT_JWT_SECRET)')
    .action((opts) => run('serve', lazy(() => require('./commands/serve.command'), 'serveCommand'), opts));

  program
    .command('token')
    .description('print a member token signed with EXPORT_JWT_SECRET')
    .requiredOption('--channel <id>', 'the channel the member belongs to')
    .requiredOption('--member <id>', 'the member')
    .option('--name <name>', 'the member name shown on the page and in the audit log')
    .option('--permission <permission>', 'a permission (repeatable; default caseStats:download)', collect)
    .option('--expires-in <duration>', 'lifetime, e.g. 30m, 8h, 7d', '8h')
    .action((opts) => run('token', lazy(() => require('./commands/token.command'), 'tokenCommand'), opts));

  program
    .command('simulate')
    .description('play the deterministic simulator into an NDJSON file or the Kafka topic')
    .option('--chats <n>', 'chats to play', integer(1), 1000)
    .option('--seed <n>', 'the seed: the same seed gives the same stream', integer(0), 1)
    .option('--days <n>', 'days the stream spans', integer(1), 60)
    .option('--channels <n>', 'channels', integer(1), 3)
    .addOption(new Option('--out <file>', 'write NDJSON here').conflicts('toKafka'))
    .option('--to-kafka', 'publish to KAFKA_TOPIC on KAFKA_BROKERS')
    .action((opts) => run('simulate', lazy(() => require('./commands/simulate.command'), 'simulateCommand'), opts));

  return program;
}
