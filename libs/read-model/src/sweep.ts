import { DataSource } from 'typeorm';
import { completeDueChats } from '@casestats/case-projection';
import { inTransaction } from './sql';
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
