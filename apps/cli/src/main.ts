import 'reflect-metadata';
import { CommanderError } from 'commander';
import { exitCodeOf, loadConfig } from '@casestats/config';
import { CliIo, consoleIo } from './cli-io';
import { COMMAND_NAMES, buildProgram } from './cli-program';

/** Commander's outcomes that are not failures: help asked for. */
const HELP_SHOWN = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** A message for anything thrown, `throw undefined` included. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (err === undefined || err === null) return `failed without a reason (${String(err)} was thrown)`;
  return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
}

/** Parses and runs one command; returns its exit code: 0 done, 2 invalid input or usage, 1 any other failure. */
export async function runCli(argv: string[], io: CliIo = consoleIo): Promise<number> {
  let code = 0;
  let running: string | null = null;
  const program = buildProgram(io, async (name, load, opts) => {
    running = name;
    // The configuration is read only by a command that runs: `serve --help` needs no settings.
    code = await load()(opts as never, loadConfig(), io, Date.now);
  });
  const [first] = argv;
  if (first === undefined) {
    io.err(program.helpInformation());
    return 2;
  }
  if (!first.startsWith('-') && first !== 'help' && !(COMMAND_NAMES as readonly string[]).includes(first)) {
    io.err(`unknown command ${JSON.stringify(first)}\n${program.helpInformation()}`);
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    // Commander has printed its message (unknown option, missing or bad value) or the help.
    if (err instanceof CommanderError) return HELP_SHOWN.has(err.code) ? 0 : 2;
    io.err(`casestats ${running ?? first}: ${describeError(err)}`);
    return exitCodeOf(err);
  }
}

/**
 * A signal no command handles (a one-off command such as migrate or project): stop at once with
 * 128 + n; the embedded server this process started is told to stop as the process exits. npm and
 * npx forward the terminal's Ctrl-C, so one press arrives twice: a repeat within a second of a
 * signal a command took (and has stopped listening for) is that press, not a second one.
 */
function interruptWhenUnhandled(io: CliIo): void {
  let last = 0;
  for (const [signal, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
    process.on(signal, () => {
      const previous = last;
      last = Date.now();
      if (process.listenerCount(signal) > 1 || last - previous < 1000) return;
      io.err(`casestats: interrupted by ${signal}`);
      process.exit(128 + n);
    });
  }
}

/** Entry point of bin/casestats.js. The last resort sets exit code 1 whatever was thrown. */
export function main(): void {
  interruptWhenUnhandled(consoleIo);
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.exitCode = 1;
      process.stderr.write(`casestats: ${err instanceof Error ? (err.stack ?? err.message) : describeError(err)}\n`);
    },
  );
}
