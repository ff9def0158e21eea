import { CaseStatsEvent, UserChatCreated, UserUpdated } from '@casestats/events';
import { completeDue, evolve } from './case.evolve';
import { CaseState, ChatState, initialChatState } from './case.state';
import { UserOfBatch, UserState, evolveUser, initialUserState } from './user.evolve';

export function chatKey(channelId: string, userChatId: string): string {
  return `${channelId}\u0000${userChatId}`;
}

export function userKey(channelId: string, userId: string): string {
  return `${channelId}\u0000${userId}`;
}

/** What a batch needs from the store: the states of the chats it touches, and the ids already applied to them. */
export interface BatchState {
  chats: ReadonlyMap<string, ChatState>;
  /** Ids already applied to these chats; a `user.updated` is decided by projectUsers, against its user's ids. */
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
  /** The applied events that touch users, in order: the store's users' part (usersOfBatch, projectUsers) takes them. */
  userEvents: (UserUpdated | UserChatCreated)[];
  /** Ids of the events applied (first time seen), in order; a `user.updated` here may still be a duplicate to its user. */
  appliedIds: string[];
  /** The ids applied to each chat, by chatKey: what the store records beside the chat's state. */
  chatEventIds: Map<string, string[]>;
  duplicates: number;
}

/** What a batch's `user.updated` events make of their users (projectUsers). */
export interface UsersOutcome {
  users: UserState[];
  /** The ids of the `user.updated` events applied to each user, by userKey. */
  userEventIds: Map<string, string[]>;
  duplicates: number;
}

/**
 * The chats' projection of a batch, pure: the file source, the Kafka source and the tests all go
 * through here, so they cannot disagree. Events of one chat must be in topic order. The users'
 * part is the store's (usersOfBatch, projectUsers).
 */
export function projectBatch(events: readonly CaseStatsEvent[], before: BatchState): BatchOutcome {
  const chats = new Map<string, ChatState>();
  // The hot lookup, by chat id within the channel: no key string is built per event.
  const byChannel = new Map<string, Map<string, { state: ChatState; ids: string[] }>>();
  const seen = new Set<string>();
  const appliedIds: string[] = [];
  const chatEventIds = new Map<string, string[]>();
  const userEvents: (UserUpdated | UserChatCreated)[] = [];
  let duplicates = 0;

  for (const event of events) {
    // At-least-once delivery: the same id can come again, at another offset or in another batch.
    if (seen.has(event.id) || before.applied.has(event.id)) {
      duplicates++;
      continue;
    }
    seen.add(event.id);
    appliedIds.push(event.id);
    if (event.type === 'user.updated') {
      userEvents.push(event);
      continue;
    }
    if (event.type === 'userChat.created') userEvents.push(event);
    let channel = byChannel.get(event.channelId);
    if (!channel) byChannel.set(event.channelId, (channel = new Map()));
    const chat = channel.get(event.userChatId);
    if (chat) {
      chat.state = evolve(chat.state, event);
      chat.ids.push(event.id);
    } else {
      const key = chatKey(event.channelId, event.userChatId);
      const state = before.chats.get(key) ?? initialChatState(event.channelId, event.userChatId);
      channel.set(event.userChatId, { state: evolve(state, event), ids: [event.id] });
    }
  }
  for (const channel of byChannel.values()) {
    for (const { state, ids } of channel.values()) {
      const key = chatKey(state.channelId, state.userChatId);
      chats.set(key, state);
      chatEventIds.set(key, ids);
    }
  }
  return { ...changesFrom(chats, before), userEvents, appliedIds, chatEventIds, duplicates };
}

/**
 * The users' part of a batch, its `user.updated` events folded onto the users' stored states.
 * Cases never read users, so the store runs this apart, at the end of its transaction: users are
 * shared by every partition, and their locks are then held only briefly. `applied` holds the ids
 * already applied to these users: a `user.updated` among them is a duplicate.
 */
export function projectUsers(
  updates: readonly UserUpdated[],
  before: ReadonlyMap<string, UserState>,
  applied: ReadonlySet<string> = new Set(),
): UsersOutcome {
  const users = new Map<string, UserState>();
  const userEventIds = new Map<string, string[]>();
  let duplicates = 0;
  for (const event of updates) {
    if (applied.has(event.id)) {
      duplicates++;
      continue;
    }
    const key = userKey(event.channelId, event.data.user.id);
    const ids = userEventIds.get(key);
    if (ids) ids.push(event.id);
    else userEventIds.set(key, [event.id]);
    const user = users.get(key) ?? before.get(key) ?? initialUserState(event.channelId, event.data.user.id);
    users.set(key, evolveUser(user, event));
  }
  return { users: [...users.values()], userEventIds, duplicates };
}

/**
 * What the store's merge of users' chats (user.repository.ts, where "newest chat wins" is decided)
 * needs of a batch's user events: every user touched, once per chat a `userChat.created` names
 * (at least once), and the keys of the users with a `user.updated`, which projectUsers then folds
 * onto their stored state.
 */
export function usersOfBatch(userEvents: readonly (UserUpdated | UserChatCreated)[]): { chats: UserOfBatch[]; updated: Set<string> } {
  const chats: UserOfBatch[] = [];
  const touched = new Set<string>();
  const updated = new Set<string>();
  for (const e of userEvents) {
    const userId = e.data.user.id;
    const key = userKey(e.channelId, userId);
    if (e.type === 'userChat.created') {
      chats.push({ channelId: e.channelId, userId, chat: { id: e.userChatId, name: e.data.user.name, createdAt: e.occurredAt } });
    } else {
      updated.add(key);
      if (!touched.has(key)) chats.push({ channelId: e.channelId, userId, chat: null });
    }
    touched.add(key);
  }
  return { chats, updated };
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
    const old = before.chats.get(key)?.cases;
    // evolve replaces every case it changes, so identity tells what changed.
    for (const c of chat.cases) if (!old?.includes(c)) cases.push({ chat, case: c });
  }
  return { chats: [...after.values()], cases };
}
