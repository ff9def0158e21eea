import * as table from './case-stats.table';
import { CASE_STATE_CODES, DIRECTION_CODES, type CaseStatsTable, type Dictionary } from './case-stats.table';

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

// Local copies: an imported binding may compile to a getter call, once per case and group in the loops below.
const CLASS_COUNT = table.CLASS_COUNT;

/**
 * Group ids of one query: the total, the buckets, the two directions, the bucket × direction
 * cells, then teams, assignees, media and tags by their dictionary ids (0: the null group).
 * A case is counted directly only in its cell, team, assignee, medium and tags; the total, its
 * bucket and its direction are sums of cells (derive).
 */
export class GroupLayout {
  readonly DIR0: number;
  readonly CELL0: number;
  readonly T0: number;
  readonly A0: number;
  readonly M0: number;
  readonly G0: number;
  readonly G: number;

  constructor(
    t: CaseStatsTable,
    readonly B: number,
  ) {
    this.DIR0 = 1 + B;
    this.CELL0 = this.DIR0 + 2;
    this.T0 = this.CELL0 + 2 * B;
    this.A0 = this.T0 + t.teams.size;
    this.M0 = this.A0 + t.assignees.size;
    this.G0 = this.M0 + t.media.size;
    this.G = this.G0 + t.tagNames.size;
  }

  /** Adds each cell's `width` values at arr[cell·width…] to its bucket's, its direction's and the total's. */
  derive(arr: Int32Array | Float64Array, width: number): void {
    for (let b = 0; b < this.B; b++) {
      for (let d = 0; d < 2; d++) {
        const from = (this.CELL0 + b * 2 + d) * width;
        for (const g of [0, 1 + b, this.DIR0 + d]) for (let x = 0; x < width; x++) arr[g * width + x] += arr[from + x];
      }
    }
  }
}

type Typed = Int32Array | Float64Array;
/**
 * Working arrays kept between queries of a table, cleared rather than allocated: megabytes of
 * fresh typed arrays per query cost more in garbage collection than the counting itself.
 */
export class Scratch {
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
export function scratchOf(t: CaseStatsTable): Scratch {
  let s = scratches.get(t);
  if (!s) scratches.set(t, (s = new Scratch()));
  return s;
}

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

/** The matching cases (rows, in table order, with their cells) and the counts of every group. */
export interface Selection {
  n: number;
  matched: Int32Array;
  cellOf: Int32Array;
  /** classes[g·CLASS_COUNT + class]: how many of group g's cases are of that class. */
  classes: Int32Array;
  missedCalls: Float64Array;
  /** Each team's and assignee's latest case (its row), -1 for none. */
  latest: Int32Array;
}

/**
 * One pass over the table: each matching case is counted by class, with its missed calls, in its
 * cell, team, assignee, medium and tags, written out as straight-line code (no per-case group
 * list): this loop and the durations' are the whole cost of a million-case query.
 */
export function selectAndCount(t: CaseStatsTable, q: StatsQuery, L: GroupLayout, scratch: Scratch): Selection {
  const f = q.filters;
  const teamMask = dictMask(t.teams, f.teamIds);
  const assigneeMask = dictMask(t.assignees, f.assigneeIds);
  const mediumMask = dictMask(t.media, f.mediumNames);
  const tagMask = dictMask(t.tagNames, f.tags);
  const dirMask = listMask(DIRECTION_CODES, f.directions);
  const stateMask = listMask(CASE_STATE_CODES, f.caseStates);
  const ucsMask = dictMask(t.userChatStates, f.userChatStates);
  const filtered = !!(teamMask || assigneeMask || mediumMask || tagMask || dirMask || stateMask || ucsMask);

  const { G, CELL0, T0, A0, M0, G0 } = L;
  const classes = scratch.take('classes', Int32Array, G * CLASS_COUNT);
  const missedCalls = scratch.take('missedCalls', Float64Array, G);
  const latest = scratch.take('latest', Int32Array, G, false).fill(-1);
  const latestAt = scratch.take('latestAt', Float64Array, G, false).fill(-Infinity);
  const matched = scratch.take('matched', Int32Array, t.size, false);
  const cellOf = scratch.take('cellOf', Int32Array, t.size, false);
  const bounds = Float64Array.from(q.buckets.slice(1).map((b) => b.at));
  const nb = bounds.length;
  const { createdAt, state, direction, team, assignee, medium, tagStart, tagCount, tagPool, userChatState, missedCount, cls, caseIds } = t;
  const from = q.from;
  const to = q.toExclusive;
  const size = t.size;

  let n = 0;
  let bucket = 0;
  for (let i = 0; i < size; i++) {
    const at = createdAt[i];
    if (at < from || at >= to) continue;
    if (filtered) {
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
    }
    // The bucket: how many later bucket starts are at or before the case. Cases come mostly in
    // creation order, so the last case's bucket is tried first.
    if ((bucket > 0 && at < bounds[bucket - 1]) || (bucket < nb && at >= bounds[bucket])) {
      let lo = 0;
      let hi = nb;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (bounds[mid] <= at) lo = mid + 1;
        else hi = mid;
      }
      bucket = lo;
    }
    const cell = CELL0 + bucket * 2 + direction[i];
    matched[n] = i;
    cellOf[n++] = cell;
    const c = cls[i];
    classes[cell * CLASS_COUNT + c]++;
    // Names come from the latest case of a team or assignee group (then the greatest case id).
    const tg = T0 + team[i];
    classes[tg * CLASS_COUNT + c]++;
    if (at > latestAt[tg] || (at === latestAt[tg] && caseIds[i] > caseIds[latest[tg]])) {
      latest[tg] = i;
      latestAt[tg] = at;
    }
    const ag = A0 + assignee[i];
    classes[ag * CLASS_COUNT + c]++;
    if (at > latestAt[ag] || (at === latestAt[ag] && caseIds[i] > caseIds[latest[ag]])) {
      latest[ag] = i;
      latestAt[ag] = at;
    }
    const mg = M0 + medium[i];
    classes[mg * CLASS_COUNT + c]++;
    const tags = tagCount[i];
    if (tags === 0) classes[G0 * CLASS_COUNT + c]++;
    else for (let k = tagStart[i], end = k + tags; k < end; k++) classes[(G0 + tagPool[k]) * CLASS_COUNT + c]++;
    // Most cases have no missed call: only the others add to their groups' sums.
    const missed = missedCount[i];
    if (missed) {
      missedCalls[cell] += missed;
      missedCalls[tg] += missed;
      missedCalls[ag] += missed;
      missedCalls[mg] += missed;
      if (tags === 0) missedCalls[G0] += missed;
      else for (let k = tagStart[i], end = k + tags; k < end; k++) missedCalls[G0 + tagPool[k]] += missed;
    }
  }
  L.derive(classes, CLASS_COUNT);
  L.derive(missedCalls, 1);
  return { n, matched, cellOf, classes, missedCalls, latest };
}
