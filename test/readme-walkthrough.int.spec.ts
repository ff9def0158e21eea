import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@casestats/testing';

// README's walk-through is run as a reader runs it: its bash blocks, in one shell, in order, from
// the repository root, on the embedded PostgreSQL. Each `#  …` line under a command is output the
// reader is promised ("…" stands for what differs between runs); the command must print it, in
// that order, and exit 0 — or 2 in the refusals block. The one change: the server gets a free port.

interface Step {
  command: string;
  expected: string[];
  exitCode: number;
}

function walkThrough(): { setup: string[]; steps: Step[] } {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Walk-through on the fixtures'));
  const body = section.slice(0, section.indexOf('\n## ', 5));
  const blocks = [...body.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
  const setup: string[] = [];
  const steps: Step[] = [];
  blocks.forEach((block, i) => {
    const lines = block.replace(/\\\n/g, ' ').split('\n');
    for (const line of lines) {
      const comment = /^#\s+(.*)$/.exec(line);
      if (comment) steps[steps.length - 1].expected.push(comment[1].trim());
      else if (/^\s*npx casestats /.test(line)) steps.push({ command: line.replace(/\s+#.*$/, ''), expected: [], exitCode: i === 0 ? 0 : 2 });
      else if (line.trim()) setup.push(line.replace(/\s+#.*$/, ''));
    }
  });
  return { setup, steps };
}

/** The expected line as a pattern: "…" matches anything. */
function pattern(line: string): RegExp {
  return new RegExp(`^${line.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

function bash(script: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

let dataDir: string | undefined;
/** As root the embedded database lives elsewhere (under /var/lib/casestats), and the commands say where. */
let movedPgDir: string | undefined;

afterAll(() => {
  if (!dataDir) return;
  // Each command stops the server it started; a server left behind by a failed one is stopped by its pid.
  const pgDir = movedPgDir ?? join(dataDir, 'pg');
  const pidFile = join(pgDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        /* already gone */
      }
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  if (movedPgDir?.startsWith('/var/lib/casestats/')) rmSync(movedPgDir.replace(/\/pg$/, ''), { recursive: true, force: true });
});

describe("README's walk-through on the fixtures", () => {
  it('prints what README says it prints', async () => {
    const { setup, steps } = walkThrough();
    expect(setup.some((l) => l.includes('CASESTATS_DATA_DIR=$(mktemp -d)')), 'the walk-through uses a data folder of its own').toBe(true);
    expect(steps.length).toBeGreaterThanOrEqual(5);
    const port = await freePort();
    const script = [
      ...setup.map((l) => l.replace(/EMBEDDED_PG_PORT=\d+/, `EMBEDDED_PG_PORT=${port}`)),
      'echo "@@dir $CASESTATS_DATA_DIR"',
      ...steps.map((s, i) => `echo "@@step ${i}"; ${s.command}; echo "@@exit $?"`),
    ].join('\n');
    const out = await bash(script, 280_000);
    dataDir = /^@@dir (.+)$/m.exec(out)?.[1];
    movedPgDir = /using (\S+) for the embedded database/.exec(out)?.[1];
    expect(dataDir, out).toBeTruthy();

    steps.forEach((step, i) => {
      const printed = out.split(`@@step ${i}\n`)[1]?.split('@@exit ')[0] ?? '';
      const exit = Number(/^@@exit (\d+)/m.exec(out.split(`@@step ${i}\n`)[1] ?? '')?.[1]);
      expect(exit, `${step.command}\n${printed}`).toBe(step.exitCode);
      // Each promised line, in order; other lines (where the embedded database went, as root) may come between.
      const lines = printed.split('\n').map((l) => l.trim());
      let from = 0;
      for (const line of step.expected) {
        const at = lines.findIndex((l, k) => k >= from && pattern(line).test(l));
        expect(at, `${step.command}\nshould print: ${line}\nprinted:\n${printed}`).toBeGreaterThanOrEqual(0);
        from = at + 1;
      }
    });
  }, 300_000);
});
