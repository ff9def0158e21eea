/**
 * One measured export, in its own process so that its peak RSS is its own: request → count →
 * snapshot → rows → encrypted file. Prints one JSON line.
 * Usage: node bin/run-ts.js bench/export-run.ts DATABASE_URL CHANNEL FROM TO OUT.xlsx
 */
import 'reflect-metadata';
import { statSync } from 'node:fs';
import { runExport, validateExportRequest } from '@casestats/export';
import { activeSchema, countCases, createDataSource } from '@casestats/read-model';

async function main() {
  const [url, channelId, from, to, out] = process.argv.slice(2);
  const db = createDataSource(url);
  await db.initialize();
  const started = process.hrtime.bigint();
  const request = validateExportRequest(channelId, { from, to, password: 'Bench1234', reason: 'benchmark', timezone: 'Asia/Seoul' }, {
    statsStartDate: '2025-06-26',
    defaultTimezone: 'Asia/Seoul',
  });
  const schema = await activeSchema(db);
  const total = await countCases(db, schema, request.selection);
  const result = await runExport({
    db,
    schema,
    request,
    outPath: out,
    maxRows: 1_000_000,
    caseUrlTemplate: 'https://desk.channel.io/#/channels/{channelId}/user_chats/{userChatId}',
    exportedBy: { id: 'bench' },
    asOf: new Date(),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await db.destroy();
  console.log(
    JSON.stringify({
      rows: result.caseRows,
      counted: total,
      seconds,
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
