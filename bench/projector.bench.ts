/**
 * Projector throughput against its floor, the rebuild's, and end-to-end freshness (issue 6).
 *   node bin/run-ts.js bench/projector.bench.ts [EVENTS=1000000] [--feed-cost]   (BENCH_REPEATS=3: floor and projector runs, alternately)
 * --feed-cost measures only the projector and the rebuild with the change feed's log against without it.
 * The floor and the projector (then the rebuild) each run in a fresh process of their own, with
 * the same Node flags, not in the one that just made and published a million events.
 * Floor: a no-op kafkajs consumer reading the same topic in the same run. Every rate counts from
 * the start of the consumer (group join included) to the last event stored; the steady rate
 * (from the first stored batch on) is printed beside it.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { type Config, loadConfig } from '@casestats/config';
import type { DataSource } from 'typeorm';
import { KafkaProjector, createKafka, publishEvents, rebuildProjection } from '@casestats/source-kafka';
import { projectEventsFile } from '@casestats/source-file';
import { projectorOptions, startProjector } from '@casestats/projector-app';
import { createDataSource, migrate } from '@casestats/read-model';
import { WireEvent, simulate, wireKey } from '@casestats/simulator';
import { createTestDatabase, createTopic, ensureKafka, testKafka, uniqueTopic } from '@casestats/testing';
import { runApart } from './apart';
import { REPEATS, median, range } from './stats';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const feedCost = process.argv.includes('--feed-cost');
const N = Number(args[0] ?? 1_000_000);
/** A child's part (see measureApart): `noop`, `project`, `project-log` or `project-nolog`, with the topic, or `file`, with the NDJSON file. */
const [part, partTopic] = [args[1], args[2]];
const quiet = () => undefined;

function take(n: number, seed: number): WireEvent[] {
  const out: WireEvent[] = [];
  for (const e of simulate({ chats: Math.ceil(n / 20), seed, days: 30 })) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

async function noopRate(brokers: string[], topic: string, n: number): Promise<number> {
  // A group of its own each time: re-running this part on a topic already read must read it all again.
  const consumer = testKafka(brokers).consumer({ groupId: `${topic}-noop-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const started = performance.now();
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= n) resolve();
      },
    });
  });
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return n / seconds;
}

interface Rate {
  rate: number;
  steady: number;
}

/** Polls the stored checkpoints until they cover n events; the rate from `started`, and from the first stored batch. */
async function waitForCheckpoints(url: string, schema: string, n: number, started: number): Promise<Rate> {
  const probe = new Client({ connectionString: url });
  await probe.connect();
  let first = 0;
  let firstCount = 0;
  for (;;) {
    // A rebuild creates its schema a moment after it starts.
    const done = await probe
      .query(`SELECT coalesce(sum(next_offset), 0)::bigint AS n FROM ${schema}.checkpoints`)
      .then(({ rows }) => Number(rows[0].n), (err: { code?: string }) => (err.code === '42P01' ? 0 : Promise.reject(err)));
    if (done > 0 && !first) {
      first = performance.now();
      firstCount = done;
    }
    if (done >= n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const end = performance.now();
  await probe.end();
  return {
    rate: n / ((end - started) / 1000),
    steady: (n - firstCount) / Math.max(0.001, (end - first) / 1000),
  };
}

/**
 * The same projection by `instances` projector processes in one consumer group (`casestats
 * projector`, as deployed): the partitions are shared out, and each process's Node work runs on
 * its own core. Counts from the processes' start.
 */
async function scaledOutRate(brokers: string[], topic: string, n: number, instances: number): Promise<Rate> {
  const db = await createTestDatabase('cs_benchscale');
  const ds = createDataSource(db.url);
  await ds.initialize();
  await migrate(ds);
  await ds.destroy();
  const env = { ...process.env, DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-scale`, SWEEP_INTERVAL_MS: '3600000', PROJECTOR_PORT: '0', LOG_LEVEL: 'error' };
  const started = performance.now();
  const children = Array.from({ length: instances }, () =>
    spawn(process.execPath, [join(__dirname, '..', 'bin', 'casestats.js'), 'projector'], { env, stdio: 'ignore' }),
  );
  try {
    return await waitForCheckpoints(db.url, 'proj_1', n, started);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await db.drop();
  }
}

/**
 * The projector's rate, then the rebuild's. `app`: the projector as startProjector runs it. The feed
 * cost's arms run the bare KafkaProjector both, with the change log (`log`) and without (`nolog`):
 * that switch goes to the apply threads with their start data (module state of this thread would
 * not reach them).
 */
async function projectorAndRebuildRates(brokers: string[], topic: string, n: number, how: 'app' | 'log' | 'nolog'): Promise<{ projector: Rate; rebuild: Rate }> {
  const changeLog = how !== 'nolog';
  const db = await createTestDatabase('cs_benchproj');
  const ds = createDataSource(db.url);
  await ds.initialize();
  await migrate(ds);
  const groupId = `${topic}-proj`;
  const config = loadConfig({ DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: groupId, SWEEP_INTERVAL_MS: '3600000' });
  let started = performance.now();
  const running = how === 'app' ? await startProjector(config, ds, quiet, 0) : await bareProjector(config, ds, changeLog);
  const projector = await waitForCheckpoints(db.url, 'proj_1', n, started);
  await running.close();
  // The arms must differ as labelled: a control that still logged once measured noise as the cost.
  const [{ logged }] = await ds.query(`SELECT count(*)::int AS logged FROM proj_1.case_change_log`);
  if ((logged > 0) !== changeLog) throw new Error(`the ${how} run wrote ${logged} change log rows`);
  // The rebuild replays the whole topic into proj_2 through the same batch path, then switches.
  started = performance.now();
  const rebuilt = rebuildProjection({ kafka: createKafka(brokers, 'bench-rebuild'), db: ds, topic, groupId, log: quiet, changeLog });
  const rebuild = await waitForCheckpoints(db.url, 'proj_2', n, started);
  await rebuilt;
  await ds.destroy();
  await db.drop();
  return { projector, rebuild };
}

/** The projector startProjector runs, without its HTTP server and sweeper. */
async function bareProjector(config: Config, db: DataSource, changeLog: boolean): Promise<{ close(): Promise<void> }> {
  const projector = new KafkaProjector({ ...projectorOptions(config, db, quiet), changeLog });
  await projector.start();
  return { close: () => projector.stop() };
}

/** Events produced at a steady rate; each one's freshness is produce → its offset covered by its partition's stored checkpoint (the records and the checkpoint commit together). */
async function freshness(brokers: string[], perSecond: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const topic = uniqueTopic('bench-fresh');
  await createTopic(brokers, topic, 3);
  const db = await createTestDatabase('cs_benchfresh');
  const ds = createDataSource(db.url);
  await ds.initialize();
  await migrate(ds);
  const config = loadConfig({ DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-g`, SWEEP_INTERVAL_MS: '3600000' });
  const running = await startProjector(config, ds, quiet, 0);
  const events = take(perSecond * seconds, 5);
  const producer = testKafka(brokers).producer();
  await producer.connect();
  const pending: { partition: number; offset: number; producedAt: number }[] = [];
  const latencies: number[] = [];
  const probe = new Client({ connectionString: db.url });
  await probe.connect();
  let producing = true;
  const poller = (async () => {
    const deadline = () => !producing && performance.now() > lastSend + 30_000;
    while ((producing || pending.length) && !deadline()) {
      const { rows } = await probe.query(`SELECT partition, next_offset FROM proj_1.checkpoints`);
      const now = performance.now();
      const next = new Map(rows.map((r) => [Number(r.partition), Number(r.next_offset)]));
      for (let i = pending.length - 1; i >= 0; i--) {
        const p = pending[i];
        if ((next.get(p.partition) ?? 0) > p.offset) {
          latencies.push(now - p.producedAt);
          pending.splice(i, 1);
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const tick = 1000 / perSecond;
  const t0 = performance.now();
  let lastSend = t0;
  for (let i = 0; i < events.length; i++) {
    const due = t0 + i * tick;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const e = events[i];
    const producedAt = performance.now();
    const [meta] = await producer.send({ topic, messages: [{ key: wireKey(e), value: JSON.stringify(e) }] });
    pending.push({ partition: meta.partition, offset: Number(meta.baseOffset), producedAt });
    lastSend = performance.now();
  }
  producing = false;
  await poller;
  await producer.disconnect();
  await probe.end();
  await running.close();
  await ds.destroy();
  await db.drop();
  const lat = latencies.sort((a, b) => a - b);
  return { p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)] };
}

/** `casestats project`'s path: the file through the projector's pipeline into a fresh database, from the call to its return. */
async function fileRate(file: string, n: number): Promise<number> {
  const db = await createTestDatabase('cs_benchfile');
  const ds = createDataSource(db.url);
  await ds.initialize();
  await migrate(ds);
  // As `casestats project` calls it: the configured apply threads, given, not left to the default.
  const { applyThreads } = loadConfig({ DATABASE_URL: db.url }).projector;
  const started = performance.now();
  const stats = await projectEventsFile(ds, 'proj_1', file, { applyThreads });
  const seconds = (performance.now() - started) / 1000;
  await ds.destroy();
  await db.drop();
  if (stats.applied + stats.duplicates !== n) throw new Error(`the file path applied ${stats.applied} + ${stats.duplicates} of ${n}`);
  return n / seconds;
}

/** Runs this file again as `part` in a fresh process with this one's Node flags. */
function measureApart<T>(what: 'noop' | 'project' | 'project-log' | 'project-nolog' | 'file', topic: string, n: number): T {
  return runApart<T>('bench/projector.bench.ts', [String(n), what, topic], process.execArgv);
}

async function runPart(): Promise<void> {
  const { brokers } = await ensureKafka();
  const result = part === 'noop' ? await noopRate(brokers, partTopic, N) : part === 'file' ? await fileRate(partTopic, N) : await projectorAndRebuildRates(brokers, partTopic, N, part === 'project' ? 'app' : part === 'project-log' ? 'log' : 'nolog');
  console.log(JSON.stringify(result));
  process.exit(0);
}

/**
 * --feed-cost: what the change feed's log costs the projector and the rebuild: the same topic
 * projected with the log and without it (the bench-only control), alternately, REPEATS times.
 */
function printFeedCost(topic: string, sent: number): void {
  const runs: { with: { projector: Rate; rebuild: Rate }; without: { projector: Rate; rebuild: Rate } }[] = [];
  for (let i = 0; i < REPEATS; i++) {
    // Which arm goes first alternates, so that a drift of the machine's load favours neither.
    const first = i % 2 ? 'project-nolog' : 'project-log';
    const a = measureApart<{ projector: Rate; rebuild: Rate }>(first, topic, sent);
    const b = measureApart<{ projector: Rate; rebuild: Rate }>(first === 'project-log' ? 'project-nolog' : 'project-log', topic, sent);
    const [withLog, without] = first === 'project-log' ? [a, b] : [b, a];
    console.log(`run ${i + 1}: projector ${Math.round(withLog.projector.rate)} vs ${Math.round(without.projector.rate)} ev/s without the log; rebuild ${Math.round(withLog.rebuild.rate)} vs ${Math.round(without.rebuild.rate)}`);
    runs.push({ with: withLog, without });
  }
  for (const what of ['projector', 'rebuild'] as const) {
    const w = median(runs.map((r) => r.with[what].rate));
    const wo = median(runs.map((r) => r.without[what].rate));
    const slowdowns = runs.map((r) => 1 - r.with[what].rate / r.without[what].rate);
    console.log(`| ${what} ${sent.toLocaleString('en-US')} events, with the feed's log | ${Math.round(w)} ev/s | without it ${Math.round(wo)} ev/s | slowdown ${((1 - w / wo) * 100).toFixed(1)}% (runs: ${slowdowns.map((x) => (x * 100).toFixed(1)).join(', ')}%) (goal ≤ 5%) |`);
  }
  process.exit(0);
}

async function main() {
  if (part) return runPart();
  const { brokers } = await ensureKafka();
  const topic = uniqueTopic('bench-proj');
  await createTopic(brokers, topic, 3);
  const events = take(N, 1);
  const sent = await publishEvents(createKafka(brokers, 'bench'), topic, events, 2000);
  const dir = mkdtempSync(join(tmpdir(), 'bench-file-'));
  const file = join(dir, 'events.ndjson');
  const out = openSync(file, 'w');
  for (let i = 0; i < events.length; i += 10_000) writeSync(out, `${events.slice(i, i + 10_000).map((e) => JSON.stringify(e)).join('\n')}\n`);
  closeSync(out);
  console.log(`published ${sent} events to ${topic} (3 partitions)`);
  if (feedCost) return printFeedCost(topic, sent);
  // The floor and the projector alternately, REPEATS times: the medians, with the range of the ratios.
  const floors: number[] = [];
  const runs: { projector: Rate; rebuild: Rate }[] = [];
  for (let i = 0; i < REPEATS; i++) {
    floors.push(measureApart<number>('noop', topic, sent));
    runs.push(measureApart<{ projector: Rate; rebuild: Rate }>('project', topic, sent));
  }
  const floor = median(floors);
  const row = (what: string, rates: Rate[]) => {
    const r = { rate: median(rates.map((x) => x.rate)), steady: median(rates.map((x) => x.steady)) };
    const ratios = rates.map((x, i) => x.rate / floors[i]);
    // A single run (three processes) is set against the median floor alone: no ranges.
    const floorRange = rates.length > 1 ? range(floors, 0) : '';
    return `| ${what} ${sent.toLocaleString('en-US')} events | ${Math.round(r.rate)} ev/s (steady ${Math.round(r.steady)}) | no-op consumer ${Math.round(floor)} ev/s${floorRange} | ${(r.rate / floor).toFixed(2)}x${range(ratios, 2)} (goal ≥ 0.5x) |`;
  };
  if (REPEATS > 1) console.log(`medians of ${REPEATS} alternating runs of the floor and the projector (ranges in brackets)`);
  console.log(row('projector', runs.map((x) => x.projector)));
  console.log(row('rebuild', runs.map((x) => x.rebuild)));
  // Against the median floor: one run, it says how three processes compare, not a goal of its own.
  console.log(row('projector ×3 processes, one group,', [await scaledOutRate(brokers, topic, sent, 3)]));
  // The same events from a file (casestats project): the same lanes, apply threads and batch sizes.
  const fileRates: number[] = [];
  for (let i = 0; i < REPEATS; i++) fileRates.push(measureApart<number>('file', file, sent));
  rmSync(dir, { recursive: true, force: true });
  console.log(`| casestats project (file) ${sent.toLocaleString('en-US')} events | ${Math.round(median(fileRates))} ev/s${range(fileRates, 0)} | no-op consumer ${Math.round(floor)} ev/s | ${(median(fileRates) / floor).toFixed(2)}x |`);
  const fresh = await freshness(brokers, 1000, 20);
  console.log(`| freshness at 1,000 events/s | p50 ${Math.round(fresh.p50)} ms | p99 ${Math.round(fresh.p99)} ms | |`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
