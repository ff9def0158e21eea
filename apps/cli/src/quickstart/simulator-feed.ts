import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { CaseStatsEvent, parseEvent } from '@casestats/events';
import { WireEvent, simulate } from '@casestats/simulator';
import { applyBatch, readCheckpoints } from '@casestats/read-model';

export interface FeedOptions {
  chats: number;
  seed: number;
  /** Events applied at full speed before the stream slows to a live pace. */
  backfill: number;
  eventsPerSecond: number;
  batchSize?: number;
  signal: AbortSignal;
  onProgress?: (applied: number) => void;
}

const CONSUMER = 'quickstart-simulator';

/**
 * Plays the simulator straight through applyBatch — the same path as files and Kafka — keeping its
 * position as a checkpoint, so that the next `npm start` continues where this one stopped.
 */
export async function runSimulatorFeed(db: DataSource, schema: string, opts: FeedOptions): Promise<number> {
  const topic = `simulator-seed-${opts.seed}-chats-${opts.chats}`;
  const stored = (await readCheckpoints(db.manager.query.bind(db.manager), schema, CONSUMER, topic)).get(0) ?? 0;
  const batchSize = opts.batchSize ?? 500;
  let offset = 0;
  let events: CaseStatsEvent[] = [];
  let offsets: number[] = [];
  const flush = async () => {
    if (!events.length) return;
    await applyBatch(db, schema, { events, checkpoint: { consumer: CONSUMER, topic, partition: 0, offsets, nextOffset: offset } });
    opts.onProgress?.(offset);
    events = [];
    offsets = [];
  };
  for (const wire of simulate({ chats: opts.chats, seed: opts.seed })) {
    if (opts.signal.aborted) break;
    const current = offset++;
    if (current < stored) continue;
    const parsed = parseEvent(JSON.stringify(wire satisfies WireEvent));
    if (!parsed.ok) continue; // the simulator's own test proves this does not happen
    events.push(parsed.event);
    offsets.push(current);
    const live = current >= opts.backfill;
    if (events.length >= (live ? Math.max(1, Math.round(opts.eventsPerSecond / 4)) : batchSize)) {
      await flush();
      if (live) await sleep(250, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
  await flush();
  return offset;
}
