import { basename } from 'node:path';
import type { DataSource } from 'typeorm';
import { dataSourceUrl } from '@casestats/read-model';
import { type FileProjectionStats, byteLines, isBlank } from './ndjson-file.source';
import { BatchAppliers, COALESCE_MAX_BYTES, CoalescedBatch, FETCH_BYTES_PER_PARTITION, type FetchedBatch, PartitionLanes } from '@casestats/source-apply';

/** An invalid line, as the file source reports it: its number (from 1), code and reason. */
export interface FileDeadLetter {
  line: number;
  code: string;
  reason: string;
}

export interface EventsFileOptions {
  /** Worker threads applying batches (config.projector.applyThreads); DEFAULT_APPLY_THREADS unless given. */
  applyThreads?: number;
  /** Lanes the lines are shared among by chat (3, as the projector applies three partitions side by side). */
  lanes?: number;
  /** Bytes one transaction carries at most per lane (COALESCE_MAX_BYTES, as from Kafka). */
  maxBatchBytes?: number;
  /** After each applied batch: the totals so far. */
  onProgress?(stats: FileProjectionStats): void;
  /** Each invalid line, as its batch is applied (in the order the lanes apply them, not sorted). */
  onDeadLetter?(letter: FileDeadLetter): void;
}

/** Lanes, as the projector's partitionsConsumedConcurrently. */
const FILE_LANES = 3;

/**
 * The file source on the projector's pipeline: NDJSON lines are cut into 1 MB pieces per lane (a
 * fetch), joined into transactions of up to 8 MB while their lane is busy (CoalescedBatch), and
 * parsed and applied on the apply threads (BatchAppliers), each piece in its lane's order, as a
 * partition's batches are. Lines are shared among lanes by their chat (`userChatId`), as the
 * platform keys its messages: a chat's events keep their order, which is all the contract
 * promises (lines without a chat, `user.updated`, keep theirs in one lane). Invalid lines become
 * dead letters with their line number and reason. Running it again on the same file changes
 * nothing (event ids and line positions are both idempotent). The first failure stops it.
 */
export async function projectEventsFile(db: DataSource, schema: string, file: string, o: EventsFileOptions = {}): Promise<FileProjectionStats> {
  const laneCount = Math.max(1, o.lanes ?? FILE_LANES);
  const applier = new BatchAppliers(o.applyThreads, { databaseUrl: dataSourceUrl(db, 'project'), poolSize: laneCount });
  const ready = applier.ready();
  ready.catch(() => undefined); // awaited below
  const source = `file:${basename(file)}`;
  const stats: FileProjectionStats = { lines: 0, applied: 0, duplicates: 0, invalid: 0 };
  let failure: Error | null = null;
  const lanes = new PartitionLanes({
    resume: () => undefined,
    onError: (_lane, error) => (failure ??= error),
  });
  const maxBytes = o.maxBatchBytes ?? COALESCE_MAX_BYTES;
  const apply = async (lane: number, fetched: FetchedBatch) => {
    const result = await applier.apply(schema, { source, partition: lane }, fetched, async (letters) => {
      for (const l of letters) o.onDeadLetter?.({ line: Number(l.offset), code: l.code, reason: l.reason });
    });
    stats.applied += result.applied;
    stats.duplicates += result.duplicates;
    stats.invalid += result.deadLettered;
    o.onProgress?.({ ...stats });
  };
  const pieces = Array.from({ length: laneCount }, () => new Piece());
  const running = () => failure === null;
  const hand = async (lane: number) => {
    const fetched = pieces[lane].take();
    if (fetched) await lanes.take(lane, new CoalescedBatch(schema, fetched, (all) => apply(lane, all), maxBytes), async () => undefined, running, running);
  };
  try {
    await ready;
    for await (const line of byteLines(file)) {
      if (failure) break;
      const number = ++stats.lines;
      if (isBlank(line)) continue;
      const lane = laneCount === 1 ? 0 : laneOf(line, laneCount);
      if (pieces[lane].add(line, number) >= FETCH_BYTES_PER_PARTITION) await hand(lane);
    }
    for (let lane = 0; lane < laneCount && !failure; lane++) await hand(lane);
    await lanes.drained();
  } finally {
    await lanes.stop();
    await applier.close();
  }
  if (failure) throw failure;
  return stats;
}

/** The lines of one lane on their way to becoming a batch: their bytes end to end, and their numbers. */
class Piece {
  private lines: Buffer[] = [];
  private numbers: number[] = [];
  private bytes = 0;

  /** Adds a line; returns the piece's size in bytes. */
  add(line: Buffer, number: number): number {
    this.lines.push(line);
    this.numbers.push(number);
    this.bytes += line.length;
    return this.bytes;
  }

  /** The piece as a fetched batch (positions are line numbers; lines have no key), and a fresh one begun; null when empty. */
  take(): FetchedBatch | null {
    const n = this.lines.length;
    if (!n) return null;
    const values = new Uint8Array(new ArrayBuffer(this.bytes));
    const bounds = new Int32Array(n * 2);
    const offsets = new Float64Array(this.numbers);
    let at = 0;
    for (let i = 0; i < n; i++) {
      values.set(this.lines[i], at);
      bounds[2 * i] = at;
      at += this.lines[i].length;
      bounds[2 * i + 1] = at;
    }
    const span = { firstOffset: offsets[0], nextOffset: offsets[n - 1] + 1 };
    this.lines = [];
    this.numbers = [];
    this.bytes = 0;
    return { batch: { values: values.buffer as ArrayBuffer, bounds, offsets }, keys: { bytes: new Uint8Array(0), bounds: new Int32Array(n * 2).fill(-1) }, span };
  }
}

/** The lane of a line: by the hash of its top-level `userChatId` (lane 0 without one, or for a line that is not a JSON object). */
export function laneOf(line: Buffer, lanes: number): number {
  const id = chatIdOf(line);
  if (!id) return 0;
  // FNV-1a over the id's characters.
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The value of the top-level "userChatId" of a JSON object line, or null. Walks the top level
 * only, skipping nested values and strings by their syntax, so a "userChatId" inside `data` or
 * inside a text is never taken; with the key twice, the last one, as JSON.parse reads it.
 */
export function chatIdOf(line: Buffer): string | null {
  let i = ws(line, 0);
  if (line[i] !== 0x7b) return null;
  i = ws(line, i + 1);
  let found: string | null = null;
  while (line[i] === QUOTE) {
    const keyEnd = stringEnd(line, i);
    if (keyEnd < 0) return null;
    const isChat = keyEnd - i === 12 && line.toString('latin1', i + 1, keyEnd - 1) === 'userChatId';
    i = ws(line, keyEnd);
    if (line[i] !== 0x3a) return null;
    i = ws(line, i + 1);
    const valueEnd = valueEndAt(line, i);
    if (valueEnd < 0) return null;
    if (isChat) found = line[i] === QUOTE ? stringValue(line, i, valueEnd) : null;
    i = ws(line, valueEnd);
    if (line[i] !== 0x2c) break;
    i = ws(line, i + 1);
  }
  return found;
}

function ws(b: Buffer, i: number): number {
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0d || b[i] === 0x0a)) i++;
  return i;
}

/** The index after the string that opens at `i` (a quote), or -1. */
function stringEnd(b: Buffer, i: number): number {
  for (let k = i + 1; k < b.length; k++) {
    if (b[k] === BACKSLASH) k++;
    else if (b[k] === QUOTE) return k + 1;
  }
  return -1;
}

/** The index after the value that starts at `i`, or -1. */
function valueEndAt(b: Buffer, i: number): number {
  if (b[i] === QUOTE) return stringEnd(b, i);
  if (b[i] === 0x7b || b[i] === 0x5b) {
    let depth = 0;
    for (let k = i; k < b.length; k++) {
      const c = b[k];
      if (c === QUOTE) {
        k = stringEnd(b, k) - 1;
        if (k < 0) return -1;
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if ((c === 0x7d || c === 0x5d) && --depth === 0) return k + 1;
    }
    return -1;
  }
  let k = i;
  while (k < b.length && b[k] !== 0x2c && b[k] !== 0x7d && b[k] !== 0x20 && b[k] !== 0x09 && b[k] !== 0x0d && b[k] !== 0x0a) k++;
  return k;
}

function stringValue(b: Buffer, start: number, end: number): string | null {
  const raw = b.toString('utf8', start + 1, end - 1);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(b.toString('utf8', start, end)) as string;
  } catch {
    return null;
  }
}
