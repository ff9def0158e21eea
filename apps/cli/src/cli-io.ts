import { promptHidden } from './hidden-prompt';

/** Where a command writes; light on purpose: `--help` loads this and commander only. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Asks for a secret without echoing it; only where a person can answer (a terminal). */
  askSecret?(question: string): Promise<string>;
}

export const consoleIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  askSecret: process.stdin.isTTY ? (question) => promptHidden(process.stdin, process.stderr, question) : undefined,
};
