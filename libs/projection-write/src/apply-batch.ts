import { CaseStatsEvent, UserUpdated } from '@casestats/events';
import { BatchOutcome, projectBatch, projectUsers, usersOfBatch } from '@casestats/case-projection';
import { Sql, Transactional, inTransaction } from '@casestats/pg';
import { loadChatStates, saveChatStates } from './chat-state.repository';
import { upsertCaseRecords } from './case-record.repository';
import { mergeUserChats, saveUserUpdates } from './user.repository';
import { legacyApplied } from './processed-event.repository';
import { CheckpointKey, lockCheckpoint, storeCheckpoint } from './checkpoint.repository';
import { DeadLetterInput, saveDeadLetters } from './dead-letter.repository';

export interface BatchInput {
  events: CaseStatsEvent[];
  deadLetters?: DeadLetterInput[];
  /**
   * For an offset-ordered source: the offset of each event (same order), and the partition's
   * checkpoint, advanced to `nextOffset` in the same transaction. Offsets the checkpoint already
   * covers are skipped, so a redelivered or stale batch changes nothing.
   */
  checkpoint?: CheckpointKey & { offsets: number[]; nextOffset: number; firstOffset?: number };
}

export interface BatchStats {
  applied: number;
  duplicates: number;
  deadLettered: number;
  /** Events skipped because the checkpoint already covered their offset. */
  covered: number;
  /**
   * The batch starts after the stored next offset: applying it would leave a hole (the consumer is
   * positioned past the checkpoint, e.g. after a projection switch). Nothing was written; seek back.
   */
  gap?: { storedNextOffset: number };
  casesWritten: number;
}

/** Only the bench's control sets `changeLog: false` (loggedCaseWrite); production always logs. */
export interface ApplyOptions {
  changeLog?: boolean;
}

/** The one I/O shell around the projection: lock → load → projectBatch → write rows + checkpoint, in one transaction. */
export async function applyBatch(db: Transactional, schema: string, input: BatchInput, options: ApplyOptions = {}): Promise<BatchStats> {
  return inTransaction(db, async (sql) => {
    let events = input.events;
    let deadLetters = input.deadLetters ?? [];
    let covered = 0;
    if (input.checkpoint) {
      const cp = input.checkpoint;
      const next = await lockCheckpoint(sql, schema, cp);
      // Also at 0: a partition without a checkpoint yet (new since a rebuild) starts at its beginning,
      // and a batch past it would lose what came before (records removed by retention: offset-gaps.ts).
      if (cp.firstOffset !== undefined && cp.firstOffset > next) {
        return { applied: 0, duplicates: 0, deadLettered: 0, covered: 0, casesWritten: 0, gap: { storedNextOffset: next } };
      }
      if (next > 0) {
        events = events.filter((_, i) => cp.offsets[i] >= next);
        deadLetters = deadLetters.filter((d) => Number(d.position) >= next);
        covered = input.events.length - events.length;
      }
      if (cp.nextOffset <= next) return { applied: 0, duplicates: 0, deadLettered: 0, covered, casesWritten: 0 };
    }

    const outcome = events.length ? await project(sql, schema, events, options.changeLog ?? true) : null;
    await saveDeadLetters(sql, deadLetters);
    if (input.checkpoint) await storeCheckpoint(sql, schema, input.checkpoint, input.checkpoint.nextOffset, latestOccurredAt(events));
    // Last: users are shared by every partition's transactions, so their row locks (taken in
    // one order) are held only from here to the commit, not through the whole batch.
    const userDuplicates = outcome?.userEvents.length ? await projectUsersOf(sql, schema, outcome) : 0;
    return {
      applied: (outcome?.appliedIds.length ?? 0) - userDuplicates,
      duplicates: (outcome?.duplicates ?? 0) + userDuplicates,
      deadLettered: deadLetters.length,
      covered,
      casesWritten: outcome?.cases.length ?? 0,
    };
  });
}

/**
 * Creates the partition's checkpoint, or moves it up to `nextOffset`: a batch of nothing. From
 * `firstOffset` (the stored one) only, when given: a checkpoint that moved meanwhile stays.
 */
export async function moveCheckpoint(db: Transactional, schema: string, key: CheckpointKey, nextOffset: number, firstOffset?: number): Promise<void> {
  await applyBatch(db, schema, { events: [], checkpoint: { ...key, offsets: [], nextOffset, ...(firstOffset !== undefined && { firstOffset }) } });
}

async function project(sql: Sql, schema: string, events: CaseStatsEvent[], changeLog: boolean): Promise<BatchOutcome> {
  const chats = await loadChatStates(sql, schema, chatsOf(events));
  for (const id of await legacyApplied(sql, schema, events)) chats.eventIds.add(id);
  const outcome = projectBatch(events, { chats: chats.states, applied: chats.eventIds });
  await saveChatStates(sql, schema, outcome.chats, outcome.chatEventIds);
  await upsertCaseRecords(sql, schema, outcome.cases, changeLog);
  return outcome;
}

/** The checkpoint's event-time watermark: the latest `occurredAt` among the applied events. */
function latestOccurredAt(events: CaseStatsEvent[]): number | undefined {
  let latest: number | undefined;
  for (const e of events) if (latest === undefined || e.occurredAt > latest) latest = e.occurredAt;
  return latest;
}

/** The chats these events belong to, each once. */
function chatsOf(events: CaseStatsEvent[]): { channelId: string; userChatId: string }[] {
  const byChannel = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.type === 'user.updated') continue;
    let chats = byChannel.get(e.channelId);
    if (!chats) byChannel.set(e.channelId, (chats = new Set()));
    chats.add(e.userChatId);
  }
  const keys: { channelId: string; userChatId: string }[] = [];
  for (const [channelId, chats] of byChannel) for (const userChatId of chats) keys.push({ channelId, userChatId });
  return keys;
}

/** The users' part, at the end of the transaction; returns how many of its `user.updated` turned out to be duplicates. */
async function projectUsersOf(sql: Sql, schema: string, outcome: BatchOutcome): Promise<number> {
  const { chats, updated } = usersOfBatch(outcome.userEvents);
  const stored = await mergeUserChats(sql, schema, chats, updated);
  if (!updated.size) return 0;
  // Ids a schema projected before the migration applied were already decided in projectBatch.
  const updates = outcome.userEvents.filter((e): e is UserUpdated => e.type === 'user.updated');
  const result = projectUsers(updates, stored.users, stored.eventIds);
  await saveUserUpdates(sql, schema, result.users, result.userEventIds);
  return result.duplicates;
}
