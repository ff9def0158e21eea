import type { KafkaMessage } from 'kafkajs';
import { CaseStatsEvent, parseEvent } from '@casestats/events';
import type { DeadLetterInput } from '@casestats/read-model';

export interface SplitBatch {
  events: CaseStatsEvent[];
  offsets: number[];
  deadLetters: (DeadLetterInput & { key: Buffer | null })[];
}

/** Raw partition messages → valid events with their offsets, and dead letters with their reason. */
export function splitMessages(topic: string, partition: number, messages: KafkaMessage[]): SplitBatch {
  const out: SplitBatch = { events: [], offsets: [], deadLetters: [] };
  for (const m of messages) {
    const raw = m.value ?? Buffer.alloc(0);
    const parsed = parseEvent(raw);
    if (parsed.ok) {
      out.events.push(parsed.event);
      out.offsets.push(Number(m.offset));
    } else {
      out.deadLetters.push({ source: `kafka:${topic}/${partition}`, position: m.offset, ...parsed.error, raw, key: m.key ?? null });
    }
  }
  return out;
}
