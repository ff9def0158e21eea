/**
 * The case change feed (issue 19): a whole channel's history read from the beginning in pages of
 * 1000, as the API serves it (read, the page's JSON body written), on the bench dataset (bench/dataset.ts).
 *   node bin/run-ts.js bench/feed.bench.ts [CHATS=689655] [--prune] [--synthetic]
 * With --prune, the housekeeping first deletes the log rows every reader would step over. With
 * --synthetic, the channel is 1,000,000 cases written twice each through the feed's logged write
 * (1000 transactions of inserts, then 1000 of rewrites in another order, so half the log's
 * entries are stepped over): minutes to build where the simulator's dataset takes an hour on a
 * busy two-core machine. Prints one JSON line.
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { activeSchema, createDataSource, loggedCaseWrite, migrate, pruneCaseChangeLog, caseFeedPageBody, readCaseFeedJson } from '@casestats/read-model';
import { ensureDataset } from './dataset';

const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const chats = Number(process.argv[2] ?? Math.round(1_000_000 / 1.45));
const prune = process.argv.includes('--prune');
const synthetic = process.argv.includes('--synthetic');

/** 1,000,000 cases of ch-1, each written twice by the logged write (see the header). Kept between runs. */
async function syntheticDataset(): Promise<string> {
  const url = new URL(adminUrl);
  url.pathname = '/cs_bench_feed_1m';
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'cs_bench_feed_1m'`)).rowCount;
  if (!exists) await admin.query(`CREATE DATABASE cs_bench_feed_1m`);
  await admin.end();
  const db = createDataSource(url.toString());
  await db.initialize();
  await migrate(db);
  const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM proj_1.case_records`);
  if (n !== 1_000_000) {
    await db.query(`TRUNCATE proj_1.case_records, proj_1.case_change_log`);
    const started = performance.now();
    for (let b = 0; b < 1000; b++) {
      await db.query(
        loggedCaseWrite(
          'proj_1',
          `INSERT INTO proj_1.case_records (channel_id, user_chat_case_id, case_created_at, user_chat_case, case_state, case_updated_at, user_chat_id,
             direction, user_chat_state, team_id, team_name, assignee_id, assignee_name, manager_ids, manager_names, user_id, user_name, created_at,
             first_queued_at, first_opened_at, first_replied_at, closed_at, waiting_time, total_reply_time, reply_count, avg_reply_time,
             resolution_time, total_snoozed_time, lead_time, snoozed_count, missed_count, summarized_message, tags, medium_name, page, profile)
           SELECT 'ch-1', 'uc-' || g || '-1', t, 1, 'inProgress', t + interval '5 min', 'uc-' || g, 'INBOUND', 'open', 't-1-' || (g % 3),
                  'CS ' || (g % 3) || '팀', 'm-1-' || (g % 6), '상담원' || (g % 6), 'm-1-2, m-1-3', '상담원2, 상담원3', 'u-' || (g % 50000),
                  '김민수', t, t, t + interval '1 min', t + interval '2 min', null, 60, 120, 2, 60, null, 0, 60, 0, 0,
                  '배송 지연 문의, 환불 안내', ARRAY['배송', '환불'], 'inAppChat', 'https://shop.example/p/' || g, '{"csat": 5, "orderNo": "A-100"}'::jsonb
             FROM generate_series($1::int, $1::int + 999) g, LATERAL (SELECT timestamptz '2025-07-01' + g * interval '15 s' AS t) x
           RETURNING channel_id, user_chat_case_id, xmin`,
        ),
        [b * 1000],
      );
    }
    // The rewrites: each transaction completes every 1000th case from an offset, so the first write of each is stepped over.
    for (let b = 0; b < 1000; b++) {
      await db.query(
        loggedCaseWrite(
          'proj_1',
          `UPDATE proj_1.case_records SET case_state = 'completed', user_chat_state = 'closed', closed_at = case_created_at + interval '30 min',
                  resolution_time = 1740, case_updated_at = case_created_at + interval '90 min'
            WHERE channel_id = 'ch-1' AND user_chat_case_id = ANY (SELECT 'uc-' || (g * 1000 + $1::int) || '-1' FROM generate_series(0, 999) g)
           RETURNING channel_id, user_chat_case_id, xmin`,
        ),
        [b],
      );
    }
    await db.query('VACUUM ANALYZE proj_1.case_records');
    await db.query('VACUUM ANALYZE proj_1.case_change_log');
    log(`synthetic feed dataset: 1,000,000 cases written twice in ${Math.round((performance.now() - started) / 1000)} s`);
  }
  await db.destroy();
  return url.toString();
}
const log = (s: string) => console.error(s);

async function main() {
  const url = synthetic ? await syntheticDataset() : await ensureDataset(adminUrl, `cs_bench_${chats}`, chats, log);
  const db = createDataSource(url, { poolSize: 2 });
  await db.initialize();
  const schema = await activeSchema(db);
  const [{ cases }] = await db.query(`SELECT count(*)::int AS cases FROM ${schema}.case_records WHERE channel_id = 'ch-1'`);
  const logRows = async () => (await db.query(`SELECT count(*)::int AS n, coalesce(sum(cardinality(case_ids)), 0)::int AS entries FROM ${schema}.case_change_log WHERE channel_id = 'ch-1'`))[0];
  const before = await logRows();
  let pruneSeconds = 0;
  if (prune) {
    const started = performance.now();
    let next: Awaited<ReturnType<typeof pruneCaseChangeLog>>['next'] = null;
    do next = (await pruneCaseChangeLog((t, p) => db.query(t, p), schema, next)).next;
    while (next);
    pruneSeconds = (performance.now() - started) / 1000;
  }
  const after = await logRows();
  // The table and its key in the page cache first, as the export's figures are measured (bench/run.ts).
  await db.query(`SELECT count(*) FROM ${schema}.case_records`);
  await db.transaction(async (m) => {
    await m.query(`SET LOCAL enable_seqscan = off`);
    await m.query(`SELECT count(*) FROM ${schema}.case_records WHERE channel_id = 'ch-1' AND user_chat_case_id > ''`);
  });
  const caseUrl = (c: string, u: string) => `https://desk.channel.io/#/channels/${c}/user_chats/${u}`;
  const started = performance.now();
  let cursor: string | undefined;
  let items = 0;
  let pages = 0;
  let bytes = 0;
  const seen = new Set<string>();
  for (;;) {
    const page = await readCaseFeedJson(db, { channelId: 'ch-1', cursor, limit: 1000, caseUrl });
    bytes += caseFeedPageBody(page).length;
    // The ids without parsing the items: the field's key, as PostgreSQL writes it, then the id (no escapes in these ids).
    for (const item of page.itemsJson) seen.add(/"userChatCaseId":"([^"]*)"/.exec(item)![1]);
    items += page.itemsJson.length;
    pages++;
    cursor = page.nextCursor;
    if (!page.hasMore) break;
  }
  const seconds = (performance.now() - started) / 1000;
  await db.destroy();
  console.log(
    JSON.stringify({
      cases,
      items,
      distinct: seen.size,
      pages,
      seconds,
      casesPerSecond: Math.round(items / seconds),
      mbJson: Math.round(bytes / 1e6),
      logRows: before.n,
      logEntries: before.entries,
      ...(prune && { prunedTo: after.n, prunedEntries: after.entries, pruneSeconds }),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
