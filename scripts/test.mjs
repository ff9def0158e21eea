#!/usr/bin/env node
// The one command that runs every test: lint (with the Nx module boundaries), type check, then
// all vitest suites (unit, integration against real PostgreSQL and Kafka, end-to-end). It makes
// sure the external test tools are there first, and ends with a single summary line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: process.env.CI ? '0' : '1' };
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
const step = (title) => console.log(`\n=== ${title}`);

function ensureTestTools() {
  const python = spawnSync(existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', ['-c', 'import msoffcrypto, openpyxl'], {
    stdio: 'ignore',
  });
  const chromium = existsSync('/usr/bin/chromium') && existsSync('/usr/share/fonts/truetype/nanum');
  const office = existsSync('/usr/bin/soffice');
  if (python.status === 0 && chromium && office) return;
  const isRoot = process.getuid?.() === 0;
  // fonts-nanum: the Korean labels of the page render in the browser test's screenshot.
  // libreoffice-calc-nogui: a real spreadsheet application opens an export (test/cli.int.spec.ts).
  const packages = ['python3-msoffcrypto-tool', 'python3-openpyxl', 'chromium', 'fonts-nanum', 'libreoffice-calc-nogui'];
  if (!isRoot) {
    console.error(`missing test tools: install the Debian packages ${packages.join(' ')}`);
    process.exit(1);
  }
  step(`installing test tools: ${packages.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  const r = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const only = process.argv.slice(2);
ensureTestTools();

if (!only.length) {
  step('lint (eslint + Nx module boundaries)');
  if (run('npx', ['nx', 'run-many', '-t', 'lint', '--outputStyle=static']).status !== 0) process.exit(1);
  step('type check');
  if (run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']).status !== 0) process.exit(1);
}

step('build');
// The tests run `casestats` as users do, from the bundle (bin/casestats.js); built once here, not per process.
if (run(process.execPath, [join(root, 'scripts/build.mjs'), '--if-stale']).status !== 0) process.exit(1);

step('tests');
mkdirSync(join(root, 'tmp'), { recursive: true });
const report = join(root, 'tmp', 'vitest-report.json');
const vitest = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...only]);
let summary = 'tests: no report';
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  summary = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
}
console.log(`\n${summary}`);
process.exit(vitest.status ?? 1);
