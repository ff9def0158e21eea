import { DataSource } from 'typeorm';
import { completeDueChats } from '@casestats/case-projection';
import { inTransaction } from '@casestats/pg';
import { activeSchema } from './projection-registry';
import { loadDueChatStates, saveChatStates, upsertCaseRecords } from '@casestats/projection-write';
import { pruneCaseChangeLog } from './case-changes.repository';

/**
 * Completes every case whose recording window has passed at `now` (the caller passes the wall
 * clock minus a grace). The completion time written is the rule's, closedAt + 1 hour, never `now`.
 */
export async function sweepDueCases(db: DataSource, schema: string, now: number, batchSize = 1000): Promise<number> {
  let completed = 0;
  for (;;) {
    const done = await inTransaction(db, async (sql) => {
      const due = await loadDueChatStates(sql, schema, now, batchSize);
      const outcome = completeDueChats(due, now);
      await saveChatStates(sql, schema, outcome.chats);
      await upsertCaseRecords(sql, schema, outcome.cases);
      return { seen: due.length, completed: outcome.cases.length };
    });
    completed += done.completed;
    if (done.seen < batchSize) return completed;
  }
}

export interface Sweeper {
  /** One sweep now (errors are reported, not thrown: the next tick tries again). */
  sweep(): Promise<void>;
  stop(): void;
}

/** A partition as the sweeper weighs it: its end in the log, its stored next offset, its event-time watermark. */
export interface PartitionPosition {
  end: number;
  next: number;
  appliedUntil: number | null;
}

/**
 * How far in event time the projection is complete: up to the watermark of every partition with
 * events still to apply (none yet: nowhere), and without limit once every partition is caught up.
 * A case may be completed by time only up to here: a later event of its chat may be waiting.
 */
export function appliedHorizon(partitions: PartitionPosition[]): number {
  let horizon = Infinity;
  for (const p of partitions) if (p.next < p.end) horizon = Math.min(horizon, p.appliedUntil ?? -Infinity);
  return horizon;
}

/**
 * The periodic sweep of the running processes: on the active projection, with the wall clock the
 * caller passes minus a grace, so that events a little late still land before their case freezes.
 * With `horizon`, never past the time up to which the projection holds every event of its source
 * (the projector's: source-kafka coveredHorizon): after downtime, behind a stuck partition or a
 * rebuild's switch, cases wait for the events still to come.
 */
export function startSweeper(
  db: DataSource,
  options: { intervalMs: number; graceMs: number; horizon?: () => Promise<number> },
  now: () => number,
  report: (completed: number, error?: Error) => void,
): Sweeper {
  let pruned: Awaited<ReturnType<typeof pruneCaseChangeLog>>['next'] = null;
  const sweep = async () => {
    try {
      const until = Math.min(now(), options.horizon ? await options.horizon() : Infinity) - options.graceMs;
      const schema = await activeSchema(db);
      const completed = Number.isFinite(until) ? await sweepDueCases(db, schema, until) : 0;
      // The change feed's housekeeping: a bounded step through its log each tick.
      pruned = (await pruneCaseChangeLog((text, params) => db.query(text, params), schema, pruned)).next;
      report(completed);
    } catch (err) {
      report(0, err as Error);
    }
  };
  const timer = setInterval(() => void sweep(), options.intervalMs);
  return { sweep, stop: () => clearInterval(timer) };
}
