import { CASE_STATE_CODES, DIRECTION_CODES, NULL_DURATION, type CaseStatsTable, type Dictionary } from './case-stats.table';
import { minOf, selectInPlace } from './select';
import { DURATION_METRICS, emptyDistribution, interpolate, type CsatKey, type DurationFigures, type Summary } from './summary';

export interface StatsFilters {
  teamIds?: string[];
  assigneeIds?: string[];
  tags?: string[];
  mediumNames?: string[];
  directions?: string[];
  caseStates?: string[];
  userChatStates?: string[];
}

/** Cases created in [from, toExclusive) (epoch ms) matching every filter; buckets in order, each with the instant it begins. */
export interface StatsQuery {
  from: number;
  toExclusive: number;
  buckets: { start: string; at: number }[];
  filters: StatsFilters;
}

export interface GroupFigures {
  id: string | null;
  name: string | null;
  summary: Summary;
}

export interface StatsResult {
  summary: Summary;
  series: { start: string; summary: Summary }[];
  breakdowns: { team: GroupFigures[]; assignee: GroupFigures[]; medium: GroupFigures[]; tag: GroupFigures[]; direction: GroupFigures[] };
}

// Per group counters, in one Float64Array with this stride.
const CASES = 0, IN_PROGRESS = 1, COMPLETED = 2, INBOUND = 3, OUTBOUND = 4, REPLIED = 5, MISSED_CASES = 6, MISSED_CALLS = 7, SNOOZED = 8;
const CSAT_N = 9, CSAT_SUM = 10, CSAT_DIST = 11; // 11..15 for scores 1..5
const METRIC_N = 16, METRIC_SUM = 21;
const STRIDE = 26;

/** A mask over a dictionary's ids for a filter's values; null when the filter is absent. */
function mask(dict: Dictionary | readonly string[], values: string[] | undefined): Uint8Array | null {
  if (!values?.length) return null;
  const isList = Array.isArray(dict);
  const m = new Uint8Array(isList ? dict.length : (dict as Dictionary).size);
  for (const v of values) {
    const id = isList ? dict.indexOf(v) : (dict as Dictionary).find(v);
    if (id !== undefined && id >= 0) m[id] = 1;
  }
  return m;
}

/**
 * The dashboard's figures over a table (dashboard.md), exact: counts and sums in one pass over the
 * matching cases, then per duration the values of every group gathered side by side and each
 * group's two ranks around p50 and p90 found by quickselect (percentile_cont's interpolation).
 */
export function computeStats(t: CaseStatsTable, q: StatsQuery): StatsResult {
  const f = q.filters;
  const teamMask = mask(t.teams, f.teamIds);
  const assigneeMask = mask(t.assignees, f.assigneeIds);
  const mediumMask = mask(t.media, f.mediumNames);
  const tagMask = mask(t.tagNames, f.tags);
  const dirMask = mask(DIRECTION_CODES, f.directions);
  const stateMask = mask(CASE_STATE_CODES, f.caseStates);
  const ucsMask = mask(t.userChatStates, f.userChatStates);

  const B = q.buckets.length;
  const bounds = Float64Array.from(q.buckets.slice(1).map((b) => b.at));
  const T0 = 1 + B;
  const A0 = T0 + t.teams.size;
  const M0 = A0 + t.assignees.size;
  const G0 = M0 + t.media.size;
  const D0 = G0 + t.tagNames.size;
  const G = D0 + DIRECTION_CODES.length;
  const cnt = new Float64Array(G * STRIDE);
  const latest = new Int32Array(G).fill(-1);

  const matched = new Int32Array(t.size);
  const bucketOfRow = new Int32Array(t.size);
  let n = 0;
  const groups = new Int32Array(6 + t.tagNames.size);
  const { createdAt, state, direction, team, assignee, medium, tags, userChatState, replyCount, missedCount, snoozedCount, csat, durations, caseIds } = t;

  for (let i = 0; i < t.size; i++) {
    const at = createdAt[i];
    if (at < q.from || at >= q.toExclusive) continue;
    if (teamMask && !teamMask[team[i]]) continue;
    if (assigneeMask && !assigneeMask[assignee[i]]) continue;
    if (mediumMask && !mediumMask[medium[i]]) continue;
    if (dirMask && !dirMask[direction[i]]) continue;
    if (stateMask && !stateMask[state[i]]) continue;
    if (ucsMask && !ucsMask[userChatState[i]]) continue;
    const rowTags = tags[i];
    if (tagMask) {
      let any = false;
      for (let k = 0; k < rowTags.length && !any; k++) any = tagMask[rowTags[k]] === 1;
      if (!any) continue;
    }
    // The bucket: how many later bucket starts are at or before the case.
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    matched[n] = i;
    bucketOfRow[n++] = lo;
    const g = rowGroups(groups, lo, i);

    const st = state[i], dir = direction[i], replied = replyCount[i] > 0 ? 1 : 0, missed = missedCount[i], snoozed = snoozedCount[i] > 0 ? 1 : 0, score = csat[i];
    for (let k = 0; k < g; k++) {
      const gi = groups[k];
      const o = gi * STRIDE;
      cnt[o + CASES]++;
      cnt[o + (st === 0 ? IN_PROGRESS : COMPLETED)]++;
      cnt[o + (dir === 0 ? INBOUND : OUTBOUND)]++;
      cnt[o + REPLIED] += replied;
      if (missed > 0) cnt[o + MISSED_CASES]++;
      cnt[o + MISSED_CALLS] += missed;
      cnt[o + SNOOZED] += snoozed;
      if (score) {
        cnt[o + CSAT_N]++;
        cnt[o + CSAT_SUM] += score;
        cnt[o + CSAT_DIST + score - 1]++;
      }
      for (let m = 0; m < durations.length; m++) {
        const v = durations[m][i];
        if (v !== NULL_DURATION) {
          cnt[o + METRIC_N + m]++;
          cnt[o + METRIC_SUM + m] += v;
        }
      }
      const l = latest[gi];
      if (l < 0 || at > createdAt[l] || (at === createdAt[l] && caseIds[i] > caseIds[l])) latest[gi] = i;
    }
  }

  function rowGroups(out: Int32Array, bucket: number, i: number): number {
    out[0] = 0;
    out[1] = 1 + bucket;
    out[2] = T0 + team[i];
    out[3] = A0 + assignee[i];
    out[4] = M0 + medium[i];
    out[5] = D0 + direction[i];
    const rt = tags[i];
    if (!rt.length) {
      out[6] = G0;
      return 7;
    }
    for (let k = 0; k < rt.length; k++) out[6 + k] = G0 + rt[k];
    return 6 + rt.length;
  }

  // Percentiles, one duration at a time: each group's values gathered into its own run of `values`.
  const pct = durations.map(() => new Float64Array(G * 2));
  const offsets = new Int32Array(G + 1);
  const cursor = new Int32Array(G);
  for (let m = 0; m < durations.length; m++) {
    const col = durations[m];
    for (let g = 0; g < G; g++) offsets[g + 1] = offsets[g] + cnt[g * STRIDE + METRIC_N + m];
    cursor.set(offsets.subarray(0, G));
    const values = new Int32Array(offsets[G]);
    for (let k = 0; k < n; k++) {
      const i = matched[k];
      const v = col[i];
      if (v === NULL_DURATION) continue;
      const g = rowGroups(groups, bucketOfRow[k], i);
      for (let x = 0; x < g; x++) values[cursor[groups[x]]++] = v;
    }
    for (let g = 0; g < G; g++) {
      const start = offsets[g];
      const end = offsets[g + 1];
      if (end === start) continue;
      pct[m][g * 2] = rank(values, start, end, 0.5);
      pct[m][g * 2 + 1] = rank(values, start, end, 0.9);
    }
  }

  const summaryOf = (g: number): Summary => {
    const o = g * STRIDE;
    const csatN = cnt[o + CSAT_N];
    const distribution = emptyDistribution();
    for (let s = 1; s <= 5; s++) distribution[String(s) as CsatKey] = cnt[o + CSAT_DIST + s - 1];
    const figures = Object.fromEntries(
      DURATION_METRICS.map((name, m): [string, DurationFigures] => {
        const c = cnt[o + METRIC_N + m];
        return [name, c ? { count: c, mean: cnt[o + METRIC_SUM + m] / c, p50: pct[m][g * 2], p90: pct[m][g * 2 + 1] } : { count: 0, mean: null, p50: null, p90: null }];
      }),
    );
    return {
      cases: cnt[o + CASES],
      inProgress: cnt[o + IN_PROGRESS],
      completed: cnt[o + COMPLETED],
      inbound: cnt[o + INBOUND],
      outbound: cnt[o + OUTBOUND],
      replied: cnt[o + REPLIED],
      missedCases: cnt[o + MISSED_CASES],
      missedCalls: cnt[o + MISSED_CALLS],
      snoozedCases: cnt[o + SNOOZED],
      ...(figures as Pick<Summary, (typeof DURATION_METRICS)[number]>),
      csat: { count: csatN, mean: csatN ? cnt[o + CSAT_SUM] / csatN : null, distribution },
    };
  };

  const breakdown = (base: number, ids: readonly (string | null)[], nameOf?: Int32Array): GroupFigures[] => {
    const out: GroupFigures[] = [];
    for (let id = 0; id < ids.length; id++) {
      const g = base + id;
      if (!cnt[g * STRIDE + CASES]) continue;
      const name = nameOf ? t.names.values[nameOf[latest[g]]] : ids[id];
      out.push({ id: ids[id], name, summary: summaryOf(g) });
    }
    return out.sort(byCasesThenId);
  };

  return {
    summary: summaryOf(0),
    series: q.buckets.map((b, k) => ({ start: b.start, summary: summaryOf(1 + k) })),
    breakdowns: {
      team: breakdown(T0, t.teams.values, t.teamName),
      assignee: breakdown(A0, t.assignees.values, t.assigneeName),
      medium: breakdown(M0, t.media.values),
      tag: breakdown(G0, t.tagNames.values),
      direction: breakdown(D0, DIRECTION_CODES),
    },
  };
}

/** percentile_cont at fraction f of the values in a[start..end), which it reorders. */
function rank(a: Int32Array, start: number, end: number, f: number): number {
  const pos = f * (end - start - 1);
  const lo = Math.floor(pos);
  selectInPlace(a, start, end, start + lo);
  const low = a[start + lo];
  if (pos === lo) return low;
  return interpolate(low, minOf(a, start + lo + 1, end), pos - lo);
}

/** Sorted by cases, most first, then by id (the null group after every id). */
export function byCasesThenId(a: { id: string | null; summary: { cases: number } }, b: { id: string | null; summary: { cases: number } }): number {
  if (a.summary.cases !== b.summary.cases) return b.summary.cases - a.summary.cases;
  if (a.id === b.id) return 0;
  if (a.id === null) return 1;
  if (b.id === null) return -1;
  return a.id < b.id ? -1 : 1;
}
