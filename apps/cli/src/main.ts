import 'reflect-metadata';
import { Config, exitCodeOf, loadConfig } from '@casestats/config';
import { CliIo, consoleIo } from './cli-context';
import { migrateCommand } from './commands/migrate.command';
import { projectCommand } from './commands/project.command';
// import { exportCommand } from './commands/export.command';

type Command = (args: string[], config: Config, io: CliIo, now: () => number) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  migrate: { run: migrateCommand, help: 'create or update the database schema' },
  project: { run: projectCommand, help: 'apply an NDJSON events file (--events FILE.ndjson)' },
  // export: { run: exportCommand, help: 'write an encrypted XLSX export of a channel (see --help)' },
};

export function registerCommand(name: string, run: Command, help: string): void {
  COMMANDS[name] = { run, help };
}

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
    return await command.run(args, loadConfig(), io, Date.now);
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
