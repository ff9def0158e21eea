import type { DataSource } from 'typeorm';
import { selectionWhere, type CaseSelection } from '@casestats/read-model';

/**
 * The dashboard's figures the obvious way: plain SQL over case_records with percentile_cont, one
 * GROUP BY per breakdown, buckets by PostgreSQL's own date_trunc in the zone, means over float8 (a
 * sum of whole numbers is exact there, then one rounding, as in JavaScript). A second
 * implementation to hold the in-memory one to (tests), and the baseline it is measured against
 * (bench/dashboard.bench.ts).
 */
const DURATIONS = ['waiting_time', 'avg_reply_time', 'resolution_time', 'lead_time', 'total_snoozed_time'] as const;
const KEYS = ['waitingTime', 'avgReplyTime', 'resolutionTime', 'leadTime', 'totalSnoozedTime'] as const;

const FIGURES = `count(*)::int AS cases,
  count(*) FILTER (WHERE case_state = 'inProgress')::int AS in_progress, count(*) FILTER (WHERE case_state = 'completed')::int AS completed,
  count(*) FILTER (WHERE direction = 'INBOUND')::int AS inbound, count(*) FILTER (WHERE direction = 'OUTBOUND')::int AS outbound,
  count(*) FILTER (WHERE reply_count > 0)::int AS replied, count(*) FILTER (WHERE missed_count > 0)::int AS missed_cases,
  coalesce(sum(missed_count), 0)::int AS missed_calls, count(*) FILTER (WHERE snoozed_count > 0)::int AS snoozed_cases,
  ${DURATIONS.map((d) => `count(${d})::int AS ${d}_n, avg(${d}::float8) AS ${d}_mean,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY ${d}) AS ${d}_p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY ${d}) AS ${d}_p90`).join(',\n  ')},
  count(score)::int AS csat_n, avg(score::float8) AS csat_mean,
  ${[1, 2, 3, 4, 5].map((s) => `count(*) FILTER (WHERE score = ${s})::int AS csat_${s}`).join(', ')}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function summaryOf(r: any) {
  return {
    cases: r.cases,
    inProgress: r.in_progress,
    completed: r.completed,
    inbound: r.inbound,
    outbound: r.outbound,
    replied: r.replied,
    missedCases: r.missed_cases,
    missedCalls: r.missed_calls,
    snoozedCases: r.snoozed_cases,
    ...Object.fromEntries(DURATIONS.map((d, k) => [KEYS[k], { count: r[`${d}_n`], mean: r[`${d}_mean`], p50: r[`${d}_p50`], p90: r[`${d}_p90`] }])),
    csat: { count: r.csat_n, mean: r.csat_mean, distribution: Object.fromEntries([1, 2, 3, 4, 5].map((s) => [String(s), r[`csat_${s}`]])) },
  };
}

export async function plainSqlCaseStats(db: DataSource, schema: string, sel: CaseSelection, timezone: string, interval: 'day' | 'week' | 'month') {
  const { where, params } = selectionWhere(sel);
  params.push(timezone, interval);
  const tz = `$${params.length - 1}`;
  const unit = `$${params.length}`;
  const selected = `WITH sel AS (
      SELECT r.*, date_trunc(${unit}, r.case_created_at AT TIME ZONE ${tz})::date::text AS bucket,
             CASE WHEN jsonb_typeof(r.profile -> 'csat') = 'number' AND (r.profile ->> 'csat')::numeric IN (1, 2, 3, 4, 5)
                  THEN (r.profile ->> 'csat')::numeric::int END AS score
        FROM ${schema}.case_records r WHERE ${where})`;
  const run = (sql: string) => db.query(sql, params);
  const named = (id: string, name: string) =>
    run(`${selected} SELECT ${id} AS id, (array_agg(${name} ORDER BY case_created_at DESC, user_chat_case_id DESC))[1] AS name, ${FIGURES}
           FROM sel GROUP BY 1 ORDER BY cases DESC, ${id} COLLATE "C" NULLS LAST`);
  const [[total], series, team, assignee, medium, tag, direction] = await Promise.all([
    run(`${selected} SELECT ${FIGURES} FROM sel`),
    run(`${selected} SELECT bucket, ${FIGURES} FROM sel GROUP BY bucket ORDER BY bucket`),
    named('team_id', 'team_name'),
    named('assignee_id', 'assignee_name'),
    named('medium_name', 'medium_name'),
    // A case once under each distinct tag it has; one without tags under null.
    run(`${selected} SELECT tag AS id, tag AS name, ${FIGURES}
           FROM sel CROSS JOIN LATERAL (SELECT DISTINCT t FROM unnest(CASE WHEN tags = '{}' THEN ARRAY[NULL]::text[] ELSE tags END) AS u(t)) AS x(tag)
          GROUP BY 1 ORDER BY cases DESC, tag COLLATE "C" NULLS LAST`),
    named('direction', 'direction'),
  ]);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const groups = (rows: any[]) => rows.map((r) => ({ id: r.id, name: r.name, summary: summaryOf(r) }));
  return {
    summary: summaryOf(total),
    /** The non-empty buckets only, by their first day. */
    series: series.map((r: { bucket: string }) => ({ start: r.bucket, summary: summaryOf(r) })),
    breakdowns: { team: groups(team), assignee: groups(assignee), medium: groups(medium), tag: groups(tag), direction: groups(direction) },
  };
}
