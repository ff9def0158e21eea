/**
 * One measured export, in its own process so that its peak RSS is its own: request → count →
 * snapshot → rows → encrypted file, as `casestats export` runs it. Prints one JSON line: `seconds`
 * from the request to the file, and where the time went (`loaded`: the process's start, the bundle
 * loaded; `connected`: the database; `steps`: runExport's steps, each at its end, from the request).
 * Usage: node bin/run-ts.js bench/export-run.ts DATABASE_URL CHANNEL FROM TO OUT.xlsx
 *   (bench/run.ts runs it compiled: node scripts/build.mjs bench/export-run.ts, then dist/bench/export-run/main.js)
 */
import 'reflect-metadata';
import { statSync } from 'node:fs';
import { runExport, validateExportRequest, type ExportStep } from '@casestats/export';
import { activeSchema, countCases, createDataSource } from '@casestats/read-model';

const sinceStart = () => performance.now() / 1000;

async function main() {
  // performance.now() counts from the process's start: this is node's boot and the modules' load.
  const loaded = sinceStart();
  const [url, channelId, from, to, out] = process.argv.slice(2);
  const db = createDataSource(url);
  await db.initialize();
  const connected = sinceStart() - loaded;
  const started = process.hrtime.bigint();
  const at = () => Number(process.hrtime.bigint() - started) / 1e9;
  const steps: Partial<Record<ExportStep | 'counted', number>> = {};
  const request = validateExportRequest(channelId, { from, to, password: 'Bench1234', reason: 'benchmark', timezone: 'Asia/Seoul' }, {
    statsStartDate: '2025-06-26',
    defaultTimezone: 'Asia/Seoul',
  });
  // As the CLI does: counted and checked against the cap before the export starts.
  const schema = await activeSchema(db);
  const total = await countCases(db, schema, request.selection);
  steps.counted = at();
  const result = await runExport({
    db,
    schema,
    request,
    outPath: out,
    maxRows: 1_000_000,
    caseUrlTemplate: 'https://desk.channel.io/#/channels/{channelId}/user_chats/{userChatId}',
    exportedBy: { id: 'bench' },
    asOf: new Date(),
    onStep: (step) => (steps[step] = at()),
  });
  const seconds = at();
  await db.destroy();
  console.log(
    JSON.stringify({
      rows: result.caseRows,
      userRows: result.userRows,
      counted: total,
      seconds,
      loaded,
      connected,
      steps,
      rowsPerSecond: Math.round(result.caseRows / seconds),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      bytes: statSync(out).size,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
