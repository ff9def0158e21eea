import { CaseStatsEvent } from '@casestats/events';
import { completeDue, evolve } from './case.evolve';
import { CaseState, ChatState, initialChatState } from './case.state';
import { UserState, evolveUser, initialUserState } from './user.evolve';

export function chatKey(channelId: string, userChatId: string): string {
  return `${channelId}\u0000${userChatId}`;
}

export function userKey(channelId: string, userId: string): string {
  return `${channelId}\u0000${userId}`;
}

/** What a batch needs from the store: the states of the chats and users it touches, and the ids it has already applied. */
export interface BatchState {
  chats: ReadonlyMap<string, ChatState>;
  users: ReadonlyMap<string, UserState>;
  applied: ReadonlySet<string>;
}

export interface ChangedCase {
  chat: ChatState;
  case: CaseState;
}

export interface BatchOutcome {
  /** Final states of the chats the batch changed. */
  chats: ChatState[];
  /** Every case whose record changed, in its latest version. */
  cases: ChangedCase[];
  users: UserState[];
  /** Ids of the events applied (first time seen), in order. */
  appliedIds: string[];
  duplicates: number;
}

/**
 * The whole projection of a batch, pure: the file source, the Kafka source, the sweeper and the
 * tests all go through here, so they cannot disagree. Events of one chat must be in topic order.
 */
export function projectBatch(events: readonly CaseStatsEvent[], before: BatchState): BatchOutcome {
  const chats = new Map<string, ChatState>();
  const users = new Map<string, UserState>();
  const seen = new Set<string>();
  const appliedIds: string[] = [];
  let duplicates = 0;

  const chatOf = (channelId: string, id: string) => {
    const key = chatKey(channelId, id);
    return [key, chats.get(key) ?? before.chats.get(key) ?? initialChatState(channelId, id)] as const;
  };
  const userOf = (channelId: string, id: string) => {
    const key = userKey(channelId, id);
    return [key, users.get(key) ?? before.users.get(key) ?? initialUserState(channelId, id)] as const;
  };

  for (const event of events) {
    // At-least-once delivery: the same id can come again, at another offset or in another batch.
    if (seen.has(event.id) || before.applied.has(event.id)) {
      duplicates++;
      continue;
    }
    seen.add(event.id);
    appliedIds.push(event.id);
    if (event.type === 'user.updated') {
      const [key, user] = userOf(event.channelId, event.data.user.id);
      users.set(key, evolveUser(user, event));
      continue;
    }
    const [key, chat] = chatOf(event.channelId, event.userChatId);
    chats.set(key, evolve(chat, event));
    if (event.type === 'userChat.created') {
      const [uKey, user] = userOf(event.channelId, event.data.user.id);
      users.set(uKey, evolveUser(user, event));
    }
  }
  return { ...changesFrom(chats, before), users: [...users.values()], appliedIds, duplicates };
}

/** Completes, at the end of their window, the cases of these chats whose window has passed at `now`. */
export function completeDueChats(chatStates: readonly ChatState[], now: number): Pick<BatchOutcome, 'chats' | 'cases'> {
  const next = new Map<string, ChatState>();
  const before = new Map<string, ChatState>();
  for (const chat of chatStates) {
    const key = chatKey(chat.channelId, chat.userChatId);
    before.set(key, chat);
    const done = completeDue(chat, now);
    if (done !== chat) next.set(key, done);
  }
  return changesFrom(next, { chats: before });
}

function changesFrom(
  after: ReadonlyMap<string, ChatState>,
  before: Pick<BatchState, 'chats'>,
): Pick<BatchOutcome, 'chats' | 'cases'> {
  const cases: ChangedCase[] = [];
  for (const [key, chat] of after) {
    const old = new Set(before.chats.get(key)?.cases ?? []);
    // evolve replaces every case it changes, so identity tells what changed.
    for (const c of chat.cases) if (!old.has(c)) cases.push({ chat, case: c });
  }
  return { chats: [...after.values()], cases };
}
