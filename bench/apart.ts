import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

/**
 * Runs a bench script (relative to the repository) in a fresh Node process with these flags, so
 * its figure, peak RSS included, is its own; its last line of output is its JSON result.
 */
export function runApart<T>(script: string, args: string[], nodeFlags: string[] = []): T {
  const out = execFileSync(process.execPath, [...nodeFlags, join(ROOT, 'bin/run-ts.js'), join(ROOT, script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? 'null') as T;
}
