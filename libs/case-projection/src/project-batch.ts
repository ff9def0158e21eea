import { CaseStatsEvent, UserChatCreated, UserUpdated } from '@casestats/events';
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
  /** Without it, the users' part is left to projectUsers (see there). */
  users?: ReadonlyMap<string, UserState>;
  /**
   * Ids already applied to these chats (and, with `users`, to these users). A store that leaves
   * the users to projectUsers passes their ids there, where each `user.updated` is decided.
   */
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
  /** The applied events that touch users, in order: what projectUsers needs when run apart. */
  userEvents: (UserUpdated | UserChatCreated)[];
  /**
   * Ids of the events applied (first time seen), in order. Without `users`, a `user.updated`
   * here is applied only if projectUsers finds it new to its user.
   */
  appliedIds: string[];
  /** The ids applied to each chat, by chatKey: what the store records beside the chat's state. */
  chatEventIds: Map<string, string[]>;
  duplicates: number;
}

/** The users' part of a batch (projectUsers). */
export interface UsersOutcome {
  users: UserState[];
  /** The ids of the `user.updated` events applied to each user, by userKey. */
  userEventIds: Map<string, string[]>;
  duplicates: number;
}

/**
 * The whole projection of a batch, pure: the file source, the Kafka source, the sweeper and the
 * tests all go through here, so they cannot disagree. Events of one chat must be in topic order.
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
  const users = before.users ? projectUsers(userEvents, before.users, before.applied).users : [];
  return { ...changesFrom(chats, before), users, userEvents, appliedIds, chatEventIds, duplicates };
}

/**
 * The users' part of a batch: what its applied user events (BatchOutcome.userEvents) make of the
 * users they touch. Cases never read users, so a store may run this apart, at the end of its
 * transaction: users are shared by every partition, and their locks are then held only briefly.
 * `applied` holds the ids already applied to these users: a `user.updated` among them is a duplicate.
 */
export function projectUsers(
  userEvents: readonly (UserUpdated | UserChatCreated)[],
  before: ReadonlyMap<string, UserState>,
  applied: ReadonlySet<string> = new Set(),
): UsersOutcome {
  const users = new Map<string, UserState>();
  const userEventIds = new Map<string, string[]>();
  let duplicates = 0;
  for (const event of userEvents) {
    const key = userKey(event.channelId, event.data.user.id);
    if (event.type === 'user.updated') {
      if (applied.has(event.id)) {
        duplicates++;
        continue;
      }
      const ids = userEventIds.get(key);
      if (ids) ids.push(event.id);
      else userEventIds.set(key, [event.id]);
    }
    const user = users.get(key) ?? before.get(key) ?? initialUserState(event.channelId, event.data.user.id);
    users.set(key, evolveUser(user, event));
  }
  return { users: [...users.values()], userEventIds, duplicates };
}

/**
 * What a store that merges users' chat columns itself (they keep the newest chat, in any order)
 * needs of a batch's user events: each user touched, with the chat columns of its newest chat in
 * this batch (null without one), and the keys of the users with a `user.updated`, which
 * projectUsers then folds onto their stored state.
 */
export function usersOfBatch(userEvents: readonly (UserUpdated | UserChatCreated)[]): { chats: UserState[]; updated: Set<string> } {
  const chats = new Map<string, UserState>();
  const updated = new Set<string>();
  for (const e of userEvents) {
    const key = userKey(e.channelId, e.data.user.id);
    const user = chats.get(key) ?? initialUserState(e.channelId, e.data.user.id);
    if (e.type === 'user.updated') updated.add(key);
    chats.set(key, e.type === 'userChat.created' ? evolveUser(user, e) : user);
  }
  return { chats: [...chats.values()], updated };
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
