import { DURATION_METRICS, csatScore, type StatCase } from './summary';

/** Strings as small integers; 0 stands for null (no team, no assignee, no medium). */
export class Dictionary {
  readonly values: (string | null)[] = [null];
  private readonly ids = new Map<string, number>();

  id(value: string | null): number {
    if (value === null) return 0;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  find(value: string): number | undefined {
    return this.ids.get(value);
  }

  get size(): number {
    return this.values.length;
  }
}

export const CASE_STATE_CODES = ['inProgress', 'completed'] as const;
export const DIRECTION_CODES = ['INBOUND', 'OUTBOUND'] as const;
/** A duration that is null. Durations are whole seconds, never negative (cases.md). */
export const NULL_DURATION = -1;
export const NULL_BIN = 0xffff;

/**
 * Fine log-histogram bins of a duration: one per second below 128 s, then bins whose upper edge is
 * BIN_RATIO times the lower, so that a bin's middle is within 0.75% of any value in it (the spec
 * allows 1% or 1 s). 1,270 bins reach past 2^31 s.
 */
export const EXACT_BINS = 128;
export const BIN_RATIO = 1.015;
const LOG_RATIO = Math.log(BIN_RATIO);
export const BIN_COUNT = EXACT_BINS + Math.ceil(Math.log(2 ** 31 / EXACT_BINS) / LOG_RATIO) + 1;

const LOWER = Float64Array.from({ length: BIN_COUNT + 1 }, (_, b) => (b < EXACT_BINS ? b : EXACT_BINS * Math.pow(BIN_RATIO, b - EXACT_BINS)));

export function binOf(v: number): number {
  if (v < EXACT_BINS) return v;
  let b = EXACT_BINS + Math.floor(Math.log(v / EXACT_BINS) / LOG_RATIO);
  // Guard the floating-point edge: v must lie in [lower(b), lower(b + 1)).
  if (v < LOWER[b]) b--;
  else if (v >= LOWER[b + 1]) b++;
  return b;
}

function binLower(b: number): number {
  return LOWER[b];
}

/** The value a bin stands for: itself below 128 s, else the middle of its span. */
export function binValue(b: number): number {
  return b < EXACT_BINS ? b : (binLower(b) + binLower(b + 1)) / 2;
}

function grow<T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/**
 * One channel's cases as columns: typed arrays of codes and numbers, strings dictionary-encoded,
 * so that a query reads a million cases in a few passes over memory. A case keeps its row when it
 * changes (upsert by userChatCaseId).
 */
export class CaseStatsTable {
  size = 0;
  /** Moves on every upsert: figures computed at one version hold until the next. */
  version = 0;
  private capacity = 0;
  readonly rowOf = new Map<string, number>();
  readonly caseIds: string[] = [];
  readonly teams = new Dictionary();
  readonly assignees = new Dictionary();
  readonly names = new Dictionary();
  readonly media = new Dictionary();
  readonly tagNames = new Dictionary();
  readonly userChatStates = new Dictionary();
  createdAt = new Float64Array(0);
  state = new Uint8Array(0);
  direction = new Uint8Array(0);
  userChatState = new Int32Array(0);
  team = new Int32Array(0);
  teamName = new Int32Array(0);
  assignee = new Int32Array(0);
  assigneeName = new Int32Array(0);
  medium = new Int32Array(0);
  /**
   * A case's distinct tag ids: tagPool[tagStart[i] … tagStart[i] + tagCount[i]). One pool rather
   * than an array object per case (a million of those were a fifth of the heap); a case given
   * more tags than it had takes a new run at the pool's end.
   */
  tagStart = new Int32Array(0);
  tagCount = new Uint16Array(0);
  tagPool = new Int32Array(1024);
  private tagPoolUsed = 0;
  replyCount = new Int32Array(0);
  missedCount = new Int32Array(0);
  snoozedCount = new Int32Array(0);
  csat = new Uint8Array(0);
  /**
   * The case's counting class: state, direction, replied, missed, snoozed and CSAT score packed in
   * one byte, so that a query counts one class per case and group and expands the classes after.
   */
  cls = new Uint8Array(0);
  /** One histogram bin per duration (NULL_BIN for null), computed once per version of a case. */
  bins: Uint16Array[] = DURATION_METRICS.map(() => new Uint16Array(0));
  /** One column per DURATION_METRICS entry, NULL_DURATION for null. */
  durations: Int32Array[] = DURATION_METRICS.map(() => new Int32Array(0));
  /** Each duration's highest bin so far (never lowered): a query's histograms need be no wider. */
  readonly maxBin = new Int32Array(DURATION_METRICS.length);

  private reserve(n: number): void {
    if (n <= this.capacity) return;
    const c = Math.max(n, this.capacity * 2, 1024);
    this.createdAt = grow(this.createdAt, c);
    this.state = grow(this.state, c);
    this.direction = grow(this.direction, c);
    this.userChatState = grow(this.userChatState, c);
    this.team = grow(this.team, c);
    this.teamName = grow(this.teamName, c);
    this.assignee = grow(this.assignee, c);
    this.assigneeName = grow(this.assigneeName, c);
    this.medium = grow(this.medium, c);
    this.replyCount = grow(this.replyCount, c);
    this.missedCount = grow(this.missedCount, c);
    this.snoozedCount = grow(this.snoozedCount, c);
    this.csat = grow(this.csat, c);
    this.cls = grow(this.cls, c);
    this.tagStart = grow(this.tagStart, c);
    this.tagCount = grow(this.tagCount, c);
    this.durations = this.durations.map((d) => grow(d, c));
    this.bins = this.bins.map((d) => grow(d, c));
    this.capacity = c;
  }

  private setTags(i: number, tags: readonly string[]): void {
    if (tags.length > this.tagCount[i]) {
      if (this.tagPoolUsed + tags.length > this.tagPool.length) this.tagPool = grow(this.tagPool, Math.max(this.tagPool.length * 2, this.tagPoolUsed + tags.length));
      this.tagStart[i] = this.tagPoolUsed;
      this.tagPoolUsed += tags.length;
    }
    this.tagCount[i] = tags.length;
    for (let k = 0; k < tags.length; k++) this.tagPool[this.tagStart[i] + k] = this.tagNames.id(tags[k]);
  }

  upsert(c: StatCase): void {
    this.version++;
    let i = this.rowOf.get(c.userChatCaseId);
    if (i === undefined) {
      i = this.size++;
      this.reserve(this.size);
      this.rowOf.set(c.userChatCaseId, i);
      this.caseIds.push(c.userChatCaseId);
    }
    this.createdAt[i] = c.userChatCaseCreatedAt;
    this.state[i] = code(CASE_STATE_CODES, c.userChatCaseState);
    this.direction[i] = code(DIRECTION_CODES, c.direction);
    this.userChatState[i] = this.userChatStates.id(c.userChatState);
    this.team[i] = this.teams.id(c.teamId);
    this.teamName[i] = this.names.id(c.teamName);
    this.assignee[i] = this.assignees.id(c.assigneeId);
    this.assigneeName[i] = this.names.id(c.assigneeName);
    this.medium[i] = this.media.id(c.mediumName);
    // A case counts once under each tag it has (a tag given twice is one tag).
    this.setTags(i, c.tags.length <= 1 ? c.tags : [...new Set(c.tags)]);
    this.replyCount[i] = c.replyCount;
    this.missedCount[i] = c.missedCount;
    this.snoozedCount[i] = c.snoozedCount;
    this.csat[i] = csatScore(c.csat) ?? 0;
    this.cls[i] = classOf(this.state[i], this.direction[i], c.replyCount > 0, c.missedCount > 0, c.snoozedCount > 0, this.csat[i]);
    DURATION_METRICS.forEach((m, k) => {
      const v = c[m];
      this.durations[k][i] = v ?? NULL_DURATION;
      const bin = v === null ? NULL_BIN : binOf(v);
      this.bins[k][i] = bin;
      if (bin !== NULL_BIN && bin > this.maxBin[k]) this.maxBin[k] = bin;
    });
  }
}

function code(values: readonly string[], value: string): number {
  const i = values.indexOf(value);
  if (i < 0) throw new Error(`unexpected value ${JSON.stringify(value)}; expected one of ${values.join(', ')}`);
  return i;
}

export const CLASS_COUNT = 192;
export function classOf(state: number, direction: number, replied: boolean, missed: boolean, snoozed: boolean, csat: number): number {
  return state | (direction << 1) | (Number(replied) << 2) | (Number(missed) << 3) | (Number(snoozed) << 4) | (csat << 5);
}
