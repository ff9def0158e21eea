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
  for (let i = 0; i < batch.offsets.length; i++) {
    const start = batch.bounds[2 * i];
    const raw = start < 0 ? Buffer.alloc(0) : all.subarray(start, batch.bounds[2 * i + 1]);
    const parsed = parseEvent(raw);
    if (parsed.ok) {
      out.events.push(parsed.event);
      out.offsets.push(batch.offsets[i]);
    } else {
      // Its own copy: a dead letter outlives the batch's buffer.
      out.deadLetters.push({ source: `kafka:${topic}/${partition}`, position: String(batch.offsets[i]), ...parsed.error, raw: Buffer.from(raw), index: i });
    }
  }
  return out;
}
