import * as table from './case-stats.table';
import { CASE_STATE_CODES, DIRECTION_CODES, binValue, type CaseStatsTable, type Dictionary } from './case-stats.table';
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
// Local copies: an imported binding may compile to a getter call, once per case and group in the loops below.
const CLASS_COUNT = table.CLASS_COUNT;
const BIN_COUNT = table.BIN_COUNT;
const NULL_BIN = table.NULL_BIN;
const NULL_DURATION = table.NULL_DURATION;

type Typed = Int32Array | Float64Array;
/**
 * Working arrays kept between queries of a table, cleared rather than allocated: megabytes of
 * fresh typed arrays per query cost more in garbage collection than the counting itself.
 */
class Scratch {
  private readonly arrays = new Map<string, Typed>();
  take<T extends Typed>(name: string, make: new (n: number) => T, length: number, clear = true): T {
    let a = this.arrays.get(name) as T | undefined;
    if (!a || a.length < length) {
      a = new make(Math.ceil(length * 1.25));
      this.arrays.set(name, a);
    } else if (clear) a.fill(0, 0, length);
    return a.subarray(0, length) as T;
  }
}
const scratches = new WeakMap<CaseStatsTable, Scratch>();

/** A mask over a dictionary's ids for a filter's values; null when the filter is absent. */
function mask(size: number, find: (v: string) => number | undefined, values: string[] | undefined): Uint8Array | null {
  if (!values?.length) return null;
  const m = new Uint8Array(size);
  for (const v of values) {
    const id = find(v);
    if (id !== undefined && id >= 0) m[id] = 1;
  }
  return m;
}
const dictMask = (d: Dictionary, values: string[] | undefined) => mask(d.size, (v) => d.find(v), values);
const listMask = (l: readonly string[], values: string[] | undefined) => mask(l.length, (v) => l.indexOf(v), values);

/**
 * The dashboard's figures over a table (dashboard.md). One pass over the cases finds the matching
 * ones and counts each in its groups by class (case-stats.table.ts) with its missed calls; a
 * second pass adds the durations and finds the percentiles. The total, the buckets and the two
 * directions are not counted case by case: each is a sum of bucket × direction cells.
 */
export function computeStats(t: CaseStatsTable, q: StatsQuery, exactUpTo = EXACT_PERCENTILES_UP_TO): StatsResult {
  const f = q.filters;
  const teamMask = dictMask(t.teams, f.teamIds);
  const assigneeMask = dictMask(t.assignees, f.assigneeIds);
  const mediumMask = dictMask(t.media, f.mediumNames);
  const tagMask = dictMask(t.tagNames, f.tags);
  const dirMask = listMask(DIRECTION_CODES, f.directions);
  const stateMask = listMask(CASE_STATE_CODES, f.caseStates);
  const ucsMask = dictMask(t.userChatStates, f.userChatStates);

  const B = q.buckets.length;
  const bounds = Float64Array.from(q.buckets.slice(1).map((b) => b.at));
  // Group ids: the total, the buckets, the directions, the bucket × direction cells, then teams,
  // assignees, media and tags by their dictionary ids (0: the null group).
  const DIR0 = 1 + B;
  const CELL0 = DIR0 + 2;
  const T0 = CELL0 + 2 * B;
  const A0 = T0 + t.teams.size;
  const M0 = A0 + t.assignees.size;
  const G0 = M0 + t.media.size;
  const G = G0 + t.tagNames.size;
  const scratch = scratches.get(t) ?? new Scratch();
  scratches.set(t, scratch);
  const classes = scratch.take('classes', Int32Array, G * CLASS_COUNT);
  const missedCalls = scratch.take('missedCalls', Float64Array, G);
  const metricN = scratch.take('metricN', Int32Array, G * M);
  const metricSum = scratch.take('metricSum', Float64Array, G * M);
  const latest = scratch.take('latest', Int32Array, G).fill(-1);

  const matched = scratch.take('matched', Int32Array, t.size, false);
  const cellOfRow = scratch.take('cellOfRow', Int32Array, t.size, false);
  // Each matching case's base groups, one run per case: groupsAt[k] … groupsAt[k + 1].
  const groupsAt = scratch.take('groupsAt', Int32Array, t.size + 1, false);
  let flat = scratch.take('groupsFlat', Int32Array, t.size * 6, false);
  let used = 0;
  let n = 0;
  const groups = new Int32Array(7 + t.tagNames.size);
  const { createdAt, state, direction, team, assignee, medium, tagStart, tagCount, tagPool, userChatState, missedCount, cls, durations, caseIds } = t;

  /** The groups a case is counted in directly: its cell, team, assignee, medium and tags. */
  const baseGroups = (out: Int32Array, at: number, cell: number, i: number): number => {
    out[at] = cell;
    out[at + 1] = T0 + team[i];
    out[at + 2] = A0 + assignee[i];
    out[at + 3] = M0 + medium[i];
    const n = tagCount[i];
    if (!n) {
      out[at + 4] = G0;
      return at + 5;
    }
    for (let k = 0, s = tagStart[i]; k < n; k++) out[at + 4 + k] = G0 + tagPool[s + k];
    return at + 4 + n;
  };
  /** Every group of a case, for the exact percentiles. */
  const allGroups = (out: Int32Array, cell: number, i: number): number => {
    out[0] = 0;
    out[1] = 1 + ((cell - CELL0) >> 1);
    out[2] = DIR0 + ((cell - CELL0) & 1);
    return baseGroups(out, 3, cell, i);
  };
  /** Adds each cell's `width` values at arr[cell·width…] to its bucket's, its direction's and the total's. */
  const derive = (arr: Int32Array | Float64Array, width: number) => {
    for (let b = 0; b < B; b++) {
      for (let d = 0; d < 2; d++) {
        const from = (CELL0 + b * 2 + d) * width;
        for (const g of [0, 1 + b, DIR0 + d]) for (let x = 0; x < width; x++) arr[g * width + x] += arr[from + x];
      }
    }
  };
  const later = (i: number, l: number) => l < 0 || createdAt[i] > createdAt[l] || (createdAt[i] === createdAt[l] && caseIds[i] > caseIds[l]);

  let bucket = 0;
  for (let i = 0; i < t.size; i++) {
    const at = createdAt[i];
    if (at < q.from || at >= q.toExclusive) continue;
    if (teamMask && !teamMask[team[i]]) continue;
    if (assigneeMask && !assigneeMask[assignee[i]]) continue;
    if (mediumMask && !mediumMask[medium[i]]) continue;
    if (dirMask && !dirMask[direction[i]]) continue;
    if (stateMask && !stateMask[state[i]]) continue;
    if (ucsMask && !ucsMask[userChatState[i]]) continue;
    if (tagMask) {
      let any = false;
      for (let k = tagStart[i], end = k + tagCount[i]; k < end && !any; k++) any = tagMask[tagPool[k]] === 1;
      if (!any) continue;
    }
    // The bucket: how many later bucket starts are at or before the case. Cases come mostly in
    // creation order, so the last case's bucket is tried first.
    if (!((bucket === 0 || bounds[bucket - 1] <= at) && (bucket === bounds.length || at < bounds[bucket]))) {
      let lo = 0;
      let hi = bounds.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (bounds[mid] <= at) lo = mid + 1;
        else hi = mid;
      }
      bucket = lo;
    }
    const cell = CELL0 + bucket * 2 + direction[i];
    matched[n] = i;
    cellOfRow[n] = cell;
    const g = baseGroups(groups, 0, cell, i);
    if (used + g > flat.length) {
      const bigger = scratch.take('groupsFlat', Int32Array, (used + g) * 2, false);
      bigger.set(flat.subarray(0, used));
      flat = bigger;
    }
    groupsAt[n++] = used;
    for (let k = 0; k < g; k++) flat[used++] = groups[k];
    const c = cls[i];
    const missed = missedCount[i];
    for (let k = 0; k < g; k++) {
      classes[groups[k] * CLASS_COUNT + c]++;
      missedCalls[groups[k]] += missed;
    }
    // Names come from the latest case of a team or assignee group.
    if (later(i, latest[groups[1]])) latest[groups[1]] = i;
    if (later(i, latest[groups[2]])) latest[groups[2]] = i;
  }
  groupsAt[n] = used;
  derive(classes, CLASS_COUNT);
  derive(missedCalls, 1);

  const exact = n <= exactUpTo;
  const pct = new Float64Array(G * M * 2);
  if (exact) exactPercentiles();
  else approximatePercentiles();

  function exactPercentiles(): void {
    // Each group's values gathered into its own run of `values`, one duration at a time.
    const offsets = new Int32Array(G + 1);
    const cursor = new Int32Array(G);
    for (let m = 0; m < M; m++) {
      const col = durations[m];
      for (let k = 0; k < n; k++) {
        const v = col[matched[k]];
        if (v === NULL_DURATION) continue;
        const g = allGroups(groups, cellOfRow[k], matched[k]);
        for (let x = 0; x < g; x++) {
          metricN[groups[x] * M + m]++;
          metricSum[groups[x] * M + m] += v;
        }
      }
      for (let g = 0; g < G; g++) offsets[g + 1] = offsets[g] + metricN[g * M + m];
      cursor.set(offsets.subarray(0, G));
      const values = new Int32Array(offsets[G]);
      for (let k = 0; k < n; k++) {
        const v = col[matched[k]];
        if (v === NULL_DURATION) continue;
        const g = allGroups(groups, cellOfRow[k], matched[k]);
        for (let x = 0; x < g; x++) values[cursor[groups[x]]++] = v;
      }
      for (let g = 0; g < G; g++) {
        if (offsets[g + 1] === offsets[g]) continue;
        pct[(g * M + m) * 2] = rank(values, offsets[g], offsets[g + 1], 0.5);
        pct[(g * M + m) * 2 + 1] = rank(values, offsets[g], offsets[g + 1], 0.9);
      }
    }
  }

  function approximatePercentiles(): void {
    // One duration at a time, so that its histograms (one per group) are all that is being written.
    const hist = scratch.take('hist', Int32Array, G * BIN_COUNT);
    for (let m = 0; m < M; m++) {
      if (m > 0) hist.fill(0);
      const bm = t.bins[m];
      const dm = durations[m];
      for (let k = 0; k < n; k++) {
        const i = matched[k];
        const b = bm[i];
        if (b === NULL_BIN) continue;
        const v = dm[i];
        for (let x = groupsAt[k], end = groupsAt[k + 1]; x < end; x++) {
          const g = flat[x];
          hist[g * BIN_COUNT + b]++;
          metricSum[g * M + m] += v;
        }
      }
      derive(hist, BIN_COUNT);
      for (let g = 0; g < G; g++) {
        let count = 0;
        for (let b = g * BIN_COUNT, end = b + BIN_COUNT; b < end; b++) count += hist[b];
        metricN[g * M + m] = count;
        if (!count) continue;
        pct[(g * M + m) * 2] = histogramRank(hist, g * BIN_COUNT, count, 0.5);
        pct[(g * M + m) * 2 + 1] = histogramRank(hist, g * BIN_COUNT, count, 0.9);
      }
    }
    // Sums were added per cell only: the total, buckets and directions get theirs from the cells.
    derive(metricSum, M);
  }

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
      const c = metricN[g * M + m];
      s[name] = c ? { count: c, mean: metricSum[g * M + m] / c, p50: pct[(g * M + m) * 2], p90: pct[(g * M + m) * 2 + 1] } : NO_VALUES();
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
      team: breakdown(T0, t.teams.values, t.teamName),
      assignee: breakdown(A0, t.assignees.values, t.assigneeName),
      medium: breakdown(M0, t.media.values),
      tag: breakdown(G0, t.tagNames.values),
      direction: breakdown(DIR0, DIRECTION_CODES),
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

/** percentile_cont at fraction f of the values in a[start..end), which it reorders. */
function rank(a: Int32Array, start: number, end: number, f: number): number {
  const pos = f * (end - start - 1);
  const lo = Math.floor(pos);
  selectInPlace(a, start, end, start + lo);
  const low = a[start + lo];
  if (pos === lo) return low;
  return interpolate(low, minOf(a, start + lo + 1, end), pos - lo);
}

/** percentile_cont over a histogram of `count` values at hist[base..base+BIN_COUNT): each rank is its bin's value. */
function histogramRank(hist: Int32Array, base: number, count: number, f: number): number {
  const pos = f * (count - 1);
  const lo = Math.floor(pos);
  let seen = 0;
  let b = 0;
  while (seen + hist[base + b] <= lo) seen += hist[base + b++];
  const low = binValue(b);
  if (pos === lo) return low;
  // The next rank is in the same bin, or in the next non-empty one.
  if (seen + hist[base + b] <= lo + 1) {
    seen += hist[base + b++];
    while (hist[base + b] === 0) b++;
  }
  return interpolate(low, binValue(b), pos - lo);
}

/** Sorted by cases, most first, then by id (the null group after every id). */
export function byCasesThenId(a: { id: string | null; summary: { cases: number } }, b: { id: string | null; summary: { cases: number } }): number {
  if (a.summary.cases !== b.summary.cases) return b.summary.cases - a.summary.cases;
  if (a.id === b.id) return 0;
  if (a.id === null) return 1;
  if (b.id === null) return -1;
  return a.id < b.id ? -1 : 1;
}
