import * as table from './case-stats.table';
import { DIRECTION_CODES, type CaseStatsTable } from './case-stats.table';
import { GroupLayout, scratchOf, selectAndCount, type StatsQuery } from './case-stats.scan';
import { exactDurations, histogramDurations } from './case-stats.durations';
import { DURATION_METRICS, emptyDistribution, type CsatKey, type DurationFigures, type Summary } from './summary';

export type { StatsFilters, StatsQuery } from './case-stats.scan';

export interface GroupFigures {
  id: string | null;
  name: string | null;
  summary: Summary;
}

export interface StatsResult {
  percentiles: 'exact' | 'approximate';
  summary: Summary;
  series: { start: string; summary: Summary }[];
  breakdowns: { team: GroupFigures[]; assignee: GroupFigures[]; medium: GroupFigures[]; tag: GroupFigures[]; direction: GroupFigures[] };
}

/**
 * Up to this many matching cases, percentiles are exact (each group's values gathered and
 * quickselected); above it, they come from each case's precomputed log-histogram bin, within
 * 0.75% (dashboard.md allows 1% or 1 s), which keeps a million cases within the latency goal.
 */
export const EXACT_PERCENTILES_UP_TO = 100_000;
const M = DURATION_METRICS.length;
const CLASS_COUNT = table.CLASS_COUNT;

/**
 * The dashboard's figures over a table (dashboard.md). One pass over the cases finds the matching
 * ones and counts each in its groups by class (case-stats.table.ts) with its missed calls; a
 * second pass per duration adds the values and finds the percentiles (case-stats.scan.ts). The
 * total, the buckets and the two directions are not counted case by case: each is a sum of
 * bucket × direction cells.
 */
export function computeStatsUncached(t: CaseStatsTable, q: StatsQuery, exactUpTo = EXACT_PERCENTILES_UP_TO): StatsResult {
  const L = new GroupLayout(t, q.buckets.length);
  const scratch = scratchOf(t);
  const sel = selectAndCount(t, q, L, scratch);
  const exact = sel.n <= exactUpTo;
  const d = exact ? exactDurations(t, L, sel, scratch) : histogramDurations(t, L, sel, scratch);
  const { classes, missedCalls, latest } = sel;

  const summaryOf = (g: number): Summary => {
    const s = emptyCounts();
    let csatSum = 0;
    for (let c = 0; c < CLASS_COUNT; c++) {
      const k = classes[g * CLASS_COUNT + c];
      if (!k) continue;
      s.cases += k;
      if (c & 1) s.completed += k;
      else s.inProgress += k;
      if (c & 2) s.outbound += k;
      else s.inbound += k;
      if (c & 4) s.replied += k;
      if (c & 8) s.missedCases += k;
      if (c & 16) s.snoozedCases += k;
      const score = c >> 5;
      if (score) {
        s.csat.count += k;
        csatSum += k * score;
        s.csat.distribution[String(score) as CsatKey] += k;
      }
    }
    s.missedCalls = missedCalls[g];
    s.csat.mean = s.csat.count ? csatSum / s.csat.count : null;
    DURATION_METRICS.forEach((name, m) => {
      const c = d.count[g * M + m];
      s[name] = c ? { count: c, mean: d.sum[g * M + m] / c, p50: d.pct[(g * M + m) * 2], p90: d.pct[(g * M + m) * 2 + 1] } : NO_VALUES();
    });
    return s;
  };

  const breakdown = (base: number, ids: readonly (string | null)[], nameOf?: Int32Array): GroupFigures[] => {
    const out: GroupFigures[] = [];
    for (let id = 0; id < ids.length; id++) {
      const g = base + id;
      const summary = summaryOf(g);
      if (!summary.cases) continue;
      out.push({ id: ids[id], name: nameOf ? t.names.values[nameOf[latest[g]]] : ids[id], summary });
    }
    return out.sort(byCasesThenId);
  };

  return {
    percentiles: exact ? 'exact' : 'approximate',
    summary: summaryOf(0),
    series: q.buckets.map((b, k) => ({ start: b.start, summary: summaryOf(1 + k) })),
    breakdowns: {
      team: breakdown(L.T0, t.teams.values, t.teamName),
      assignee: breakdown(L.A0, t.assignees.values, t.assigneeName),
      medium: breakdown(L.M0, t.media.values),
      tag: breakdown(L.G0, t.tagNames.values),
      direction: breakdown(L.DIR0, DIRECTION_CODES),
    },
  };
}

const NO_VALUES = (): DurationFigures => ({ count: 0, mean: null, p50: null, p90: null });

function emptyCounts(): Summary {
  return {
    cases: 0,
    inProgress: 0,
    completed: 0,
    inbound: 0,
    outbound: 0,
    replied: 0,
    missedCases: 0,
    missedCalls: 0,
    snoozedCases: 0,
    waitingTime: NO_VALUES(),
    avgReplyTime: NO_VALUES(),
    resolutionTime: NO_VALUES(),
    leadTime: NO_VALUES(),
    totalSnoozedTime: NO_VALUES(),
    csat: { count: 0, mean: null, distribution: emptyDistribution() },
  };
}

/** Sorted by cases, most first, then by id (the null group after every id). */
export function byCasesThenId(a: { id: string | null; summary: { cases: number } }, b: { id: string | null; summary: { cases: number } }): number {
  if (a.summary.cases !== b.summary.cases) return b.summary.cases - a.summary.cases;
  if (a.id === b.id) return 0;
  if (a.id === null) return 1;
  if (b.id === null) return -1;
  return a.id < b.id ? -1 : 1;
}
