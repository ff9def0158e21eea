import 'reflect-metadata';
import { Config, exitCodeOf, loadConfig } from '@casestats/config';
import { CliIo, consoleIo } from './cli-context';

type Command = (args: string[], config: Config, io: CliIo, now: () => number) => Promise<number>;

function load(path: string, name: string): Promise<Command> {
  // A synchronous require on purpose: under this CommonJS build it resolves like the static imports.
  return Promise.resolve(require(path)[name] as Command);
}

/** Each command is loaded only when it runs: quick start-up, and one command's dependencies never break another. */
const COMMANDS: Record<string, { load: () => Promise<Command>; help: string }> = {
  migrate: { load: () => load('./commands/migrate.command', 'migrateCommand'), help: 'create or update the database schema' },
  project: { load: () => load('./commands/project.command', 'projectCommand'), help: 'apply an NDJSON events file (--events FILE.ndjson)' },
  export: { load: () => load('./commands/export.command', 'exportCommand'), help: 'write an encrypted XLSX export of a channel' },
  start: { load: () => load('./commands/start.command', 'startCommand'), help: 'the whole product on embedded defaults: database, simulator, projection, export page' },
  projector: { load: () => load('./commands/projector.command', 'projectorCommand'), help: 'consume Kafka into the projection (KAFKA_BROKERS, KAFKA_TOPIC, KAFKA_GROUP_ID)' },
  rebuild: { load: () => load('./commands/rebuild.command', 'rebuildCommand'), help: 'replay the topic into a fresh projection version, then switch to it' },
  serve: { load: () => load('./commands/serve.command', 'serveCommand'), help: 'start the export app: API, jobs and web page (EXPORT_PORT)' },
  token: { load: () => load('./commands/token.command', 'tokenCommand'), help: 'print a member token (--channel ID --member ID [--name N] [--permission P]...)' },
  simulate: {
    load: () => load('./commands/simulate.command', 'simulateCommand'),
    help: 'play a realistic event stream (--chats N --seed S --out FILE.ndjson | --to-kafka)',
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.help}`);
  return ['usage: casestats <command> [options]', '', 'commands:', ...lines].join('\n');
}

export async function runCli(argv: string[], io: CliIo = consoleIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  try {
    const run = await command.load();
    return await run(args, loadConfig(), io, Date.now);
  } catch (err) {
    io.err(`casestats ${name}: ${(err as Error).message}`);
    return exitCodeOf(err);
  }
}

/** Entry point of bin/casestats.js. */
export function main(): void {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
