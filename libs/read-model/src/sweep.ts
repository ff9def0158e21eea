import { DataSource } from 'typeorm';
import { completeDueChats } from '@casestats/case-projection';
import { inTransaction } from './sql';
import { activeSchema } from './projection-registry';
import { loadDueChatStates, saveChatStates } from './chat-state.repository';
import { upsertCaseRecords } from './case-record.repository';

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

/**
 * The periodic sweep of the running processes: on the active projection, with the wall clock the
 * caller passes minus a grace, so that events a little late still land before their case freezes.
 */
export function startSweeper(
  db: DataSource,
  options: { intervalMs: number; graceMs: number },
  now: () => number,
  report: (completed: number, error?: Error) => void,
): Sweeper {
  const sweep = async () => {
    try {
      report(await sweepDueCases(db, await activeSchema(db), now() - options.graceMs));
    } catch (err) {
      report(0, err as Error);
    }
  };
  const timer = setInterval(() => void sweep(), options.intervalMs);
  return { sweep, stop: () => clearInterval(timer) };
}
