/**
 * Two exports of the same range at once in one process (as the export app runs two jobs), to show
 * that memory stays within twice one export's (issue 6). Prints one JSON line.
 * Usage: node bin/run-ts.js bench/export-pair.ts DATABASE_URL CHANNEL FROM TO OUT_DIR
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { runExport, validateExportRequest } from '@casestats/export';
import { activeSchema, createDataSource } from '@casestats/read-model';

async function main() {
  const [url, channelId, from, to, dir] = process.argv.slice(2);
  const db = createDataSource(url);
  await db.initialize();
  const schema = await activeSchema(db);
  const started = process.hrtime.bigint();
  const one = (name: string) =>
    runExport({
      db,
      schema,
      request: validateExportRequest(channelId, { from, to, password: 'Bench1234', reason: 'benchmark', timezone: 'Asia/Seoul' }, {
        statsStartDate: '2025-06-26',
        defaultTimezone: 'Asia/Seoul',
      }),
      outPath: join(dir, name),
      maxRows: 1_000_000,
      caseUrlTemplate: 'https://desk.channel.io/#/channels/{channelId}/user_chats/{userChatId}',
      exportedBy: { id: 'bench' },
      asOf: new Date(),
    });
  const [a, b] = await Promise.all([one('pair-a.xlsx'), one('pair-b.xlsx')]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await db.destroy();
  console.log(JSON.stringify({ rows: a.caseRows + b.caseRows, seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
