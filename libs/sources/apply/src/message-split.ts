import { isUtf8 } from 'node:buffer';
import { CaseStatsEvent, parseEvent } from '@casestats/events';
import type { DeadLetterInput } from '@casestats/projection-write';

/**
 * A partition batch's values in one buffer of its own, with their offsets: what a worker thread
 * needs to parse and apply it. kafkajs's values are views of its fetch buffers, which cannot be
 * handed over; one copy into a fresh buffer can, without another.
 */
export interface PackedBatch {
  values: ArrayBuffer;
  /** Start and end of each value in `values`; a message without a value has start -1. */
  bounds: Int32Array;
  offsets: Float64Array;
}

/**
 * A fetched batch as the consumer's thread keeps it until it is applied: packed, with the keys
 * (for dead letters) packed beside it. Packed as soon as it is fetched, so that the messages
 * kafkajs decoded die young: a queued batch of KafkaMessages survived every scavenge in between,
 * doubling the consumer thread's garbage collection.
 */
export interface FetchedBatch {
  batch: PackedBatch;
  keys: { bytes: Uint8Array; bounds: Int32Array };
  span: OffsetSpan;
}

/**
 * The offsets a batch accounts for: where its fetch started, and the one after the last record it
 * read. Not its messages' offsets: kafkajs leaves out transaction markers and aborted messages (and
 * compaction leaves holes), so a batch may start after its fetch offset and end before its next.
 */
export interface OffsetSpan {
  firstOffset: number;
  nextOffset: number;
}

/**
 * What packing reads of a message: kafkajs's KafkaMessage has these (the file source builds its
 * batches itself).
 */
export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
}

/** `span`: the messages' own (first, last + 1) unless given; a fetch gives its own (source-kafka's batchSpan). */
export function packMessages(messages: RawMessage[], span?: OffsetSpan): FetchedBatch {
  const values = pack(messages, (m) => m.value);
  const keys = pack(messages, (m) => m.key);
  const offsets = new Float64Array(messages.length);
  for (let i = 0; i < messages.length; i++) offsets[i] = Number(messages[i].offset);
  return {
    batch: { values: values.bytes.buffer as ArrayBuffer, bounds: values.bounds, offsets },
    keys,
    span: span ?? { firstOffset: offsets[0], nextOffset: offsets[messages.length - 1] + 1 },
  };
}

/** Fetched batches of one partition, in order, as one: their bytes end to end in one buffer. */
export function concatFetched(parts: FetchedBatch[]): FetchedBatch {
  if (parts.length === 1) return parts[0];
  const values = concat(parts.map((p) => ({ bytes: new Uint8Array(p.batch.values), bounds: p.batch.bounds })));
  const keys = concat(parts.map((p) => p.keys));
  const offsets = new Float64Array(parts.reduce((n, p) => n + p.batch.offsets.length, 0));
  let at = 0;
  for (const p of parts) {
    offsets.set(p.batch.offsets, at);
    at += p.batch.offsets.length;
  }
  const span = { firstOffset: parts[0].span.firstOffset, nextOffset: parts[parts.length - 1].span.nextOffset };
  return { batch: { values: values.bytes.buffer as ArrayBuffer, bounds: values.bounds, offsets }, keys, span };
}

function concat(parts: { bytes: Uint8Array; bounds: Int32Array }[]): { bytes: Uint8Array; bounds: Int32Array } {
  const bytes = new Uint8Array(new ArrayBuffer(parts.reduce((n, p) => n + p.bytes.length, 0)));
  const bounds = new Int32Array(parts.reduce((n, p) => n + p.bounds.length, 0));
  let byte = 0;
  let bound = 0;
  for (const p of parts) {
    bytes.set(p.bytes, byte);
    for (let i = 0; i < p.bounds.length; i += 2) {
      const start = p.bounds[i];
      bounds[bound + i] = start < 0 ? -1 : start + byte;
      bounds[bound + i + 1] = start < 0 ? 0 : p.bounds[i + 1] + byte;
    }
    byte += p.bytes.length;
    bound += p.bounds.length;
  }
  return { bytes, bounds };
}

/** The key of message `index` of a fetched batch, as kafkajs gave it (null without one). */
export function keyOf(fetched: FetchedBatch, index: number): Buffer | null {
  const { bytes, bounds } = fetched.keys;
  const start = bounds[2 * index];
  return start < 0 ? null : Buffer.from(bytes.buffer, bytes.byteOffset + start, bounds[2 * index + 1] - start);
}

function pack(messages: RawMessage[], field: (m: RawMessage) => Buffer | null): { bytes: Uint8Array; bounds: Int32Array } {
  let size = 0;
  for (const m of messages) size += field(m)?.length ?? 0;
  const bytes = new Uint8Array(new ArrayBuffer(size));
  const bounds = new Int32Array(messages.length * 2);
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const b = field(messages[i]);
    if (!b) {
      bounds[2 * i] = -1;
      continue;
    }
    bytes.set(b, at);
    bounds[2 * i] = at;
    at += b.length;
    bounds[2 * i + 1] = at;
  }
  return { bytes, bounds };
}

export interface SplitBatch {
  events: CaseStatsEvent[];
  offsets: number[];
  /** With the index of its message in the batch, for what only the consumer holds (the key). */
  deadLetters: (DeadLetterInput & { index: number })[];
}

/** Raw partition values → valid events with their offsets, and dead letters with their reason. */
export function splitPacked(topic: string, partition: number, batch: PackedBatch): SplitBatch {
  return splitValues(`kafka:${topic}/${partition}`, batch);
}

/** Raw values → valid events with their positions, and dead letters (from `source`) with their reason. */
export function splitValues(source: string, batch: PackedBatch): SplitBatch {
  const out: SplitBatch = { events: [], offsets: [], deadLetters: [] };
  const all = Buffer.from(batch.values);
  const text = validUtf8Values(all, batch.bounds);
  for (let i = 0; i < batch.offsets.length; i++) {
    const start = batch.bounds[2 * i];
    const end = batch.bounds[2 * i + 1];
    // Text decoded straight from the batch's buffer when every value is known valid UTF-8;
    // otherwise each value's bytes, which parseEvent checks (and names what is wrong).
    const parsed = parseEvent(start < 0 ? EMPTY : text ? all.toString('utf8', start, end) : all.subarray(start, end));
    if (parsed.ok) {
      out.events.push(parsed.event);
      out.offsets.push(batch.offsets[i]);
    } else {
      // Its own copy: a dead letter outlives the batch's buffer.
      const raw = start < 0 ? EMPTY : Buffer.from(all.subarray(start, end));
      out.deadLetters.push({ source, position: String(batch.offsets[i]), ...parsed.error, raw, index: i });
    }
  }
  return out;
}

const EMPTY = Buffer.alloc(0);

/**
 * Whether every value is valid UTF-8, in one pass over the whole buffer: the values placed end to
 * end are valid exactly when the whole is and no value starts inside a character (on a
 * continuation byte, 10xxxxxx), which would split one between two values.
 */
function validUtf8Values(all: Buffer, bounds: Int32Array): boolean {
  if (!isUtf8(all)) return false;
  for (let i = 0; i < bounds.length; i += 2) {
    const start = bounds[i];
    if (start >= 0 && start < bounds[i + 1] && (all[start] & 0xc0) === 0x80) return false;
  }
  return true;
}
