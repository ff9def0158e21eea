/**
 * The dashboard's figures (dashboard.md, "Figures"), defined once over plain values: the reference
 * every faster computation is tested against.
 */

export const DURATION_METRICS = ['waitingTime', 'avgReplyTime', 'resolutionTime', 'leadTime', 'totalSnoozedTime'] as const;
export type DurationMetric = (typeof DURATION_METRICS)[number];

export interface DurationFigures {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
}

export type CsatKey = '1' | '2' | '3' | '4' | '5';
export interface CsatFigures {
  count: number;
  mean: number | null;
  distribution: Record<CsatKey, number>;
}

export interface Summary extends Record<DurationMetric, DurationFigures> {
  cases: number;
  inProgress: number;
  completed: number;
  inbound: number;
  outbound: number;
  replied: number;
  missedCases: number;
  missedCalls: number;
  snoozedCases: number;
  csat: CsatFigures;
}

/** The fields of a case record the figures read (cases.md keys). */
export interface StatCase extends Record<DurationMetric, number | null> {
  userChatCaseCreatedAt: number;
  userChatCaseId: string;
  userChatCaseState: string;
  direction: string;
  userChatState: string;
  teamId: string | null;
  teamName: string | null;
  assigneeId: string | null;
  assigneeName: string | null;
  mediumName: string | null;
  tags: readonly string[];
  replyCount: number;
  missedCount: number;
  snoozedCount: number;
  /** profile.csat as stored: it counts only when an integer 1–5. */
  csat: unknown;
}

/** The CSAT score a profile value stands for, or null when it is not an integer 1–5. */
export function csatScore(value: unknown): 1 | 2 | 3 | 4 | 5 | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 5 ? (value as 1 | 2 | 3 | 4 | 5) : null;
}

/** PostgreSQL's percentile_cont over ascending values: linear interpolation at position f·(n−1). */
export function percentileCont(sorted: ArrayLike<number>, f: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const pos = f * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return interpolate(sorted[lo], sorted[hi], pos - lo);
}

/** As percentile_cont computes it: a + (b − a)·t, so that t = 0 gives a exactly. */
export function interpolate(a: number, b: number, t: number): number {
  return t === 0 ? a : a + (b - a) * t;
}

export function durationFigures(values: readonly number[]): DurationFigures {
  if (!values.length) return { count: 0, mean: null, p50: null, p90: null };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of values) sum += v;
  return { count: values.length, mean: sum / values.length, p50: percentileCont(sorted, 0.5), p90: percentileCont(sorted, 0.9) };
}

export function emptyDistribution(): Record<CsatKey, number> {
  return { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
}

/** The summary of a set of cases, by the spec's definitions, plainly. */
export function summarize(cases: readonly StatCase[]): Summary {
  const distribution = emptyDistribution();
  let csatSum = 0;
  let csatCount = 0;
  for (const c of cases) {
    const score = csatScore(c.csat);
    if (score === null) continue;
    distribution[String(score) as CsatKey]++;
    csatSum += score;
    csatCount++;
  }
  const count = (p: (c: StatCase) => boolean) => cases.filter(p).length;
  const durations = Object.fromEntries(
    DURATION_METRICS.map((m) => [m, durationFigures(cases.map((c) => c[m]).filter((v): v is number => v !== null))]),
  ) as Record<DurationMetric, DurationFigures>;
  return {
    cases: cases.length,
    inProgress: count((c) => c.userChatCaseState === 'inProgress'),
    completed: count((c) => c.userChatCaseState === 'completed'),
    inbound: count((c) => c.direction === 'INBOUND'),
    outbound: count((c) => c.direction === 'OUTBOUND'),
    replied: count((c) => c.replyCount > 0),
    missedCases: count((c) => c.missedCount > 0),
    missedCalls: cases.reduce((s, c) => s + c.missedCount, 0),
    snoozedCases: count((c) => c.snoozedCount > 0),
    ...durations,
    csat: { count: csatCount, mean: csatCount ? csatSum / csatCount : null, distribution },
  };
}
