/**
 * `npm run bench`: the scale figures of issue 6, each with its floor measured in the same run.
 *   BENCH_SIZES=100000,300000,1000000  BENCH_REPEATS=3  BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/postgres
 * Each export and its floor run BENCH_REPEATS times, alternately; the figures are the medians.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { CUSTOM_PROFILE_SQL } from '@casestats/read-model';
import { runApart } from './apart';
import { REPEATS, median, range } from './stats';
import { ensureDataset } from './dataset';

const ROOT = resolve(__dirname, '..');
const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sizes = (process.env.BENCH_SIZES ?? '100000,300000,1000000').split(',').map(Number);
const log = (s: string) => console.log(s);

function child(script: string, args: string[]): Record<string, number> {
  return runApart<Record<string, number>>(script, args);
}

type Run = Record<string, number> & { wall: number; steps?: Record<string, number> };

/**
 * Runs a bench script as the product runs: bundled by scripts/build.mjs (its worker threads too)
 * and started with plain node, nothing transpiled at start. `wall` is the whole process, from
 * spawn to exit, as a user of `casestats export` waits for it.
 */
function compiled(script: string, args: string[]): Run {
  const target = script.replace(/\.ts$/, '');
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--if-stale', '--quiet', script], { cwd: ROOT, stdio: 'inherit' });
  const t0 = process.hrtime.bigint();
  const out = execFileSync(process.execPath, [join(ROOT, 'dist', target, 'main.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ...(JSON.parse(out.trim().split('\n').at(-1) ?? 'null') as Record<string, number>), wall };
}

/**
 * Where an export's time goes besides the rows (medians over the runs): the process's start, the
 * connection, then each step of runExport at its end, from the request on (bench/export-run.ts).
 */
function startUpTable(exps: Run[], floors: Run[]): string {
  const med = (f: (r: Run) => number | undefined, runs = exps) => median(runs.map((r) => f(r) ?? NaN));
  const s = (x: number) => `${x.toFixed(3)} s`;
  const lines = [
    ['process start, bundle loaded', s(med((r) => r.loaded)), ''],
    ['database connected', s(med((r) => r.connected)), 'after the start'],
  ];
  const order = ['counted', 'snapshot', 'count', 'workers', 'keys', 'first rows', 'user sheet', 'case sheet', 'info sheets', 'file'];
  const beside = new Set(['workers', 'keys', 'user sheet']);
  const names: Record<string, string> = {
    counted: "the CLI's count and cap check",
    snapshot: 'snapshot opened and shared',
    count: "the snapshot's count",
    workers: 'render worker loaded (beside)',
    keys: 'workbook file open (beside; its keys derive on a thread until the seal)',
    'first rows': 'first rendered rows arrive',
    'user sheet': 'user sheet written (beside the case sheet)',
    'case sheet': 'case sheet written',
    'info sheets': 'info and guide sheets',
    file: 'file sealed, renamed, synced',
  };
  let previous = 0;
  for (const key of order) {
    const t = med((r) => r.steps?.[key]);
    lines.push([names[key], s(t), beside.has(key) ? '' : `+${s(t - previous)}`]);
    if (!beside.has(key)) previous = t;
  }
  lines.push(['whole process (spawn to exit)', s(med((r) => r.wall)), `floor's: ${s(med((r) => r.wall, floors))}`]);
  lines.push(["floor's write alone", s(med((r) => r.seconds, floors)), `floor's process start: ${s(med((r) => r.wall - r.seconds, floors))}`]);
  return ['| part of the export | at (from the request) | took |', '|---|---|---|', ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}

/** The Seoul calendar day on which the n-th case (in export order) was created. */
async function dayOfNthCase(url: string, n: number): Promise<string> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query(
    `SELECT to_char(case_created_at AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD') AS day FROM proj_1.case_records
      WHERE channel_id = 'ch-1' ORDER BY case_created_at OFFSET $1 LIMIT 1`,
    [n - 1],
  );
  await c.end();
  return rows[0]?.day ?? '2025-12-31';
}

async function explain(url: string, from: string, to: string): Promise<string> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const bounds = [`${from}T00:00:00+09:00`, `${to}T00:00:00+09:00`];
  const count = await c.query(
    `EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM proj_1.case_records r WHERE r.channel_id = 'ch-1' AND r.case_created_at >= $1 AND r.case_created_at < $2`,
    bounds,
  );
  // The export's row query as its portal runs it (extended protocol, planned for all rows).
  const cursor = await c.query(
    `EXPLAIN SELECT r.* FROM proj_1.case_records r WHERE r.channel_id = 'ch-1' AND r.case_created_at >= $1 AND r.case_created_at < $2
      ORDER BY r.case_created_at, r.user_chat_case_id`,
    bounds,
  );
  const rows = await c.query(
    `EXPLAIN SELECT r.* FROM proj_1.case_records r WHERE r.channel_id = 'ch-1' AND r.case_created_at >= $1 AND r.case_created_at < $2
      AND r.team_id = ANY($3::text[]) ORDER BY r.case_created_at, r.user_chat_case_id`,
    [...bounds, ['t-1-1']],
  );
  // The export's snapshot connections run with jit off (case-snapshot.ts).
  await c.query(`SET jit = off`);
  const keys = await c.query(
    `EXPLAIN ANALYZE SELECT DISTINCT k.key COLLATE "C" AS key FROM proj_1.case_records r, jsonb_object_keys(r.profile) AS k(key)
      WHERE r.channel_id = 'ch-1' AND r.case_created_at >= $1 AND r.case_created_at < $2
        AND ${CUSTOM_PROFILE_SQL('r')} <> '{}'::jsonb AND k.key NOT IN ('csat', 'csatComment') ORDER BY 1`,
    bounds,
  );
  await c.end();
  const plan = (title: string, r: { rows: Record<string, string>[] }) => [`  -- ${title}`, ...r.rows.map((x) => `    ${x['QUERY PLAN']}`)].join('\n');
  return [
    plan('count (EXPLAIN ANALYZE)', count),
    plan('the rows in export order', cursor),
    plan('a team filter over the whole range', rows),
    plan('the profile columns (EXPLAIN ANALYZE)', keys),
  ].join('\n');
}

/**
 * Reads the case table and its export index once, so that every size is measured with them in the
 * page cache: the first export after the dataset was built (or the cache was emptied) otherwise
 * pays for the disk, and measured 45–69 s instead of 25–27 s.
 */
async function warmUp(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query(`SELECT count(*) FROM proj_1.case_records`);
  await c.query(`SET enable_seqscan = off`);
  await c.query(`SELECT count(*) FROM proj_1.case_records WHERE channel_id = 'ch-1' AND case_created_at > '-infinity'`);
  await c.end();
}

async function main() {
  const chats = Math.round(Math.max(...sizes) / 1.45);
  const url = await ensureDataset(adminUrl, `cs_bench_${chats}`, chats, log);
  await warmUp(url);
  const dir = mkdtempSync(join(tmpdir(), 'casestats-bench-'));
  const results: string[] = [];
  try {
    for (const size of sizes) {
      const to = await dayOfNthCase(url, size);
      // Alternately, so that a change in the machine's speed meets both alike.
      const exps: Run[] = [];
      const floors: Run[] = [];
      for (let i = 0; i < REPEATS; i++) {
        exps.push(compiled('bench/export-run.ts', [url, 'ch-1', '2025-07-01', to, join(dir, `export-${size}.xlsx`)]));
        floors.push(compiled('bench/floor-xlsx.ts', [String(exps[i].rows), join(dir, `floor-${size}.xlsx`)]));
      }
      const expSeconds = exps.map((e) => e.seconds);
      const floorSeconds = floors.map((f) => f.seconds);
      const expRss = exps.map((e) => e.peakRssMb);
      const exp = { rows: exps[0].rows, seconds: median(expSeconds), peakRssMb: Math.max(...expRss), leastRssMb: Math.min(...expRss) };
      const floor = { seconds: median(floorSeconds), peakRssMb: Math.max(...floors.map((f) => f.peakRssMb)) };
      const ratios = expSeconds.map((s, i) => s / floorSeconds[i]);
      results.push(
        `| export ${exp.rows.toLocaleString('en-US')} rows | ${exp.seconds.toFixed(1)} s${range(expSeconds, 1)} | ${floor.seconds.toFixed(1)} s${range(floorSeconds, 1)} | ${(exp.seconds / floor.seconds).toFixed(2)}x${range(ratios, 2)} (goal ≤ 1.0x, ≤ 60 s) | ${exp.peakRssMb} MB at most (floor ${floor.peakRssMb} MB) |`,
      );
      log(results[results.length - 1]);
      const walls = exps.map((e, i) => e.wall / floors[i].wall);
      log(`  whole processes, spawn to exit: ${median(exps.map((e) => e.wall)).toFixed(2)} s vs the floor's ${median(floors.map((f) => f.wall)).toFixed(2)} s = ${median(walls).toFixed(2)}x${range(walls, 2)}`);
      log(`  start-up of the ${exp.rows.toLocaleString('en-US')}-row export (${exps[0].userRows?.toLocaleString('en-US')} user rows):\n${startUpTable(exps, floors)}`);
      if (size === Math.max(...sizes)) {
        log(`  EXPLAIN for ${exp.rows} rows (2025-07-01 .. ${to}):\n${await explain(url, '2025-07-01', to)}`);
        const pair = child('bench/export-pair.ts', [url, 'ch-1', '2025-07-01', to, dir]);
        results.push(
          `| two exports of ${exp.rows.toLocaleString('en-US')} rows at once, one process | ${pair.seconds.toFixed(1)} s | | | ${pair.peakRssMb} MB = ${(pair.peakRssMb / exp.leastRssMb).toFixed(2)}x one export's, its lowest (goal ≤ 2x) |`,
        );
        log(results[results.length - 1]);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(`\n${REPEATS > 1 ? `medians of ${REPEATS} alternating runs (their range in brackets); peak RSS the highest\n` : ''}| figure | time | floor | ratio | peak RSS |\n|---|---|---|---|---|`);
  for (const r of results) log(r);
  if (process.env.BENCH_PROJECTOR !== '0') {
    log('\nprojector (bench/projector.bench.ts):');
    // With the young generation `casestats projector` gives itself (bin/casestats.js).
    execFileSync(process.execPath, ['--max-semi-space-size=32', join(ROOT, 'bin/run-ts.js'), join(ROOT, 'bench/projector.bench.ts'), process.env.BENCH_EVENTS ?? '1000000'], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
