import { isUtf8 } from 'node:buffer';
import type { KafkaMessage } from 'kafkajs';
import { CaseStatsEvent, parseEvent } from '@casestats/events';
import type { DeadLetterInput } from '@casestats/read-model';

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

export function packMessages(messages: KafkaMessage[]): PackedBatch {
  let bytes = 0;
  for (const m of messages) bytes += m.value?.length ?? 0;
  const values = new Uint8Array(new ArrayBuffer(bytes));
  const bounds = new Int32Array(messages.length * 2);
  const offsets = new Float64Array(messages.length);
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    offsets[i] = Number(m.offset);
    if (!m.value) {
      bounds[2 * i] = -1;
      continue;
    }
    values.set(m.value, at);
    bounds[2 * i] = at;
    at += m.value.length;
    bounds[2 * i + 1] = at;
  }
  return { values: values.buffer, bounds, offsets };
}

export interface SplitBatch {
  events: CaseStatsEvent[];
  offsets: number[];
  /** With the index of its message in the batch, for what only the consumer holds (the key). */
  deadLetters: (DeadLetterInput & { index: number })[];
}

/** Raw partition values → valid events with their offsets, and dead letters with their reason. */
export function splitPacked(topic: string, partition: number, batch: PackedBatch): SplitBatch {
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
      out.deadLetters.push({ source: `kafka:${topic}/${partition}`, position: String(batch.offsets[i]), ...parsed.error, raw, index: i });
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
