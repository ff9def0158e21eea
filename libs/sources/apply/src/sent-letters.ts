import type { ApplySource } from './apply.protocol';
import type { DeadLetterOut } from './batch-applier';

/**
 * The highest offset, per partition, whose dead letter this process has sent. Letters are sent
 * before their batch's transaction; when that transaction fails (a lock, a statement limit) the
 * stored checkpoint has not moved, so the worker's "already covered by the checkpoint" check let
 * each retry send them to the DLQ topic again. With this, a retried batch sends each letter once
 * per process. Keyed by database and schema as well: a rebuild into a new schema is a new reading
 * of the topic and sends its letters as the first reading did.
 */
export class SentLetters {
  private readonly upTo = new Map<string, number>();

  /** The letters of a batch from `from` not yet sent; a file's lane has no retry of this kind: all. */
  unsent(databaseUrl: string, schema: string, from: ApplySource, letters: DeadLetterOut[]): DeadLetterOut[] {
    const lane = laneOf(databaseUrl, schema, from);
    const sent = lane === null ? undefined : this.upTo.get(lane);
    return sent === undefined ? letters : letters.filter((l) => Number(l.offset) > sent);
  }

  /** Called once the letters have reached the DLQ topic. */
  sent(databaseUrl: string, schema: string, from: ApplySource, letters: DeadLetterOut[]): void {
    const lane = laneOf(databaseUrl, schema, from);
    if (lane === null || !letters.length) return;
    const highest = Math.max(...letters.map((l) => Number(l.offset)));
    if (highest > (this.upTo.get(lane) ?? -1)) this.upTo.set(lane, highest);
  }
}

function laneOf(databaseUrl: string, schema: string, from: ApplySource): string | null {
  return 'consumer' in from ? JSON.stringify([databaseUrl, schema, from.consumer, from.topic, from.partition]) : null;
}

/** One for the process: BatchAppliers hands a partition's retry to whichever worker has least in hand. */
export const sentLetters = new SentLetters();
