import * as table from './case-stats.table';
import { binValue, type CaseStatsTable } from './case-stats.table';
import type { GroupLayout, Scratch, Selection } from './case-stats.scan';
import { minOf, selectInPlace } from './select';
import { DURATION_METRICS, interpolate } from './summary';

const M = DURATION_METRICS.length;
// Local copies: an imported binding may compile to a getter call, once per case in the loops below.
const NULL_BIN = table.NULL_BIN;
const NULL_DURATION = table.NULL_DURATION;

/** Per group and duration (index g·M + m): how many values, their sum, and p50, p90 (pct[2·(g·M + m)], +1). */
export interface DurationTotals {
  count: Int32Array;
  sum: Float64Array;
  pct: Float64Array;
}

/**
 * Exact percentiles: each group's values gathered into its own run of one array and quickselected,
 * one duration at a time. The matching cases' groups are listed once, and each duration's values
 * read once from its column, which the matching cases reach only here and there.
 */
export function exactDurations(t: CaseStatsTable, L: GroupLayout, s: Selection, scratch: Scratch): DurationTotals {
  const { G } = L;
  const { n, matched, cellOf } = s;
  const count = scratch.take('metricN', Int32Array, G * M);
  const sum = scratch.take('metricSum', Float64Array, G * M);
  const pct = new Float64Array(G * M * 2);
  // Case k's groups: flat[at[k]] … flat[at[k + 1]].
  const at = new Int32Array(n + 1);
  let flat = new Int32Array(n * 9 + 8 + t.tagNames.size);
  let used = 0;
  for (let k = 0; k < n; k++) {
    if (used + 8 + t.tagNames.size > flat.length) {
      const bigger = new Int32Array(flat.length * 2);
      bigger.set(flat);
      flat = bigger;
    }
    at[k] = used;
    used = allGroups(t, L, flat, used, cellOf[k], matched[k]);
  }
  at[n] = used;
  const vals = new Int32Array(n);
  const offsets = new Int32Array(G + 1);
  const cursor = new Int32Array(G);
  for (let m = 0; m < M; m++) {
    const col = t.durations[m];
    for (let k = 0; k < n; k++) vals[k] = col[matched[k]];
    for (let k = 0; k < n; k++) {
      const v = vals[k];
      if (v === NULL_DURATION) continue;
      for (let x = at[k], end = at[k + 1]; x < end; x++) {
        const g = flat[x] * M + m;
        count[g]++;
        sum[g] += v;
      }
    }
    for (let g = 0; g < G; g++) offsets[g + 1] = offsets[g] + count[g * M + m];
    cursor.set(offsets.subarray(0, G));
    const values = new Int32Array(offsets[G]);
    for (let k = 0; k < n; k++) {
      const v = vals[k];
      if (v === NULL_DURATION) continue;
      for (let x = at[k], end = at[k + 1]; x < end; x++) values[cursor[flat[x]]++] = v;
    }
    for (let g = 0; g < G; g++) {
      if (offsets[g + 1] === offsets[g]) continue;
      pct[(g * M + m) * 2] = rank(values, offsets[g], offsets[g + 1], 0.5);
      pct[(g * M + m) * 2 + 1] = rank(values, offsets[g], offsets[g + 1], 0.9);
    }
  }
  return { count, sum, pct };
}

/** Every group of a case (total, bucket, direction, cell, team, assignee, medium, tags) into out[o…]; where they end. */
function allGroups(t: CaseStatsTable, L: GroupLayout, out: Int32Array, o: number, cell: number, i: number): number {
  out[o] = 0;
  out[o + 1] = 1 + ((cell - L.CELL0) >> 1);
  out[o + 2] = L.DIR0 + ((cell - L.CELL0) & 1);
  out[o + 3] = cell;
  out[o + 4] = L.T0 + t.team[i];
  out[o + 5] = L.A0 + t.assignee[i];
  out[o + 6] = L.M0 + t.medium[i];
  const tags = t.tagCount[i];
  if (!tags) {
    out[o + 7] = L.G0;
    return o + 8;
  }
  for (let k = 0, s = t.tagStart[i]; k < tags; k++) out[o + 7 + k] = L.G0 + t.tagPool[s + k];
  return o + 7 + tags;
}

/**
 * Approximate percentiles from each case's precomputed log-histogram bin (case-stats.table.ts):
 * one histogram per group, as wide as the duration's highest bin in the table, filled one
 * duration at a time so that its histograms are all that is being written.
 */
export function histogramDurations(t: CaseStatsTable, L: GroupLayout, s: Selection, scratch: Scratch): DurationTotals {
  const { G, T0, A0, M0, G0 } = L;
  const { n, matched, cellOf } = s;
  const count = scratch.take('metricN', Int32Array, G * M);
  const sum = scratch.take('metricSum', Float64Array, G * M);
  const pct = new Float64Array(G * M * 2);
  const groupSum = scratch.take('groupSum', Float64Array, G);
  const { team, assignee, medium, tagStart, tagCount, tagPool } = t;
  for (let m = 0; m < M; m++) {
    const W = t.maxBin[m] + 1;
    const hist = scratch.take('hist', Int32Array, G * W);
    if (m > 0) groupSum.fill(0);
    const bm = t.bins[m];
    const dm = t.durations[m];
    for (let k = 0; k < n; k++) {
      const i = matched[k];
      const b = bm[i];
      if (b === NULL_BIN) continue;
      const v = dm[i];
      let g = cellOf[k];
      hist[g * W + b]++;
      groupSum[g] += v;
      g = T0 + team[i];
      hist[g * W + b]++;
      groupSum[g] += v;
      g = A0 + assignee[i];
      hist[g * W + b]++;
      groupSum[g] += v;
      g = M0 + medium[i];
      hist[g * W + b]++;
      groupSum[g] += v;
      const tags = tagCount[i];
      if (tags === 0) {
        hist[G0 * W + b]++;
        groupSum[G0] += v;
      } else {
        for (let x = tagStart[i], end = x + tags; x < end; x++) {
          g = G0 + tagPool[x];
          hist[g * W + b]++;
          groupSum[g] += v;
        }
      }
    }
    L.derive(hist, W);
    L.derive(groupSum, 1);
    for (let g = 0; g < G; g++) {
      let c = 0;
      for (let b = g * W, end = b + W; b < end; b++) c += hist[b];
      count[g * M + m] = c;
      sum[g * M + m] = groupSum[g];
      if (!c) continue;
      pct[(g * M + m) * 2] = histogramRank(hist, g * W, c, 0.5);
      pct[(g * M + m) * 2 + 1] = histogramRank(hist, g * W, c, 0.9);
    }
  }
  return { count, sum, pct };
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

/** percentile_cont over a histogram of `count` values at hist[base…]: each rank is its bin's value. */
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

