import { ProfileValue, UserChatCreated, UserUpdated } from '@casestats/events';
import { mergeProfile } from './case.evolve';

/** A customer, for the User data sheet (export.md). */
export interface UserState {
  channelId: string;
  userId: string;
  /** From the last `user.updated` that carried a name. */
  updatedName: string | null;
  /** From the `userChat.created` of the user's most recently created chat (ties: larger chat id). */
  chatName: string | null;
  chatCreatedAt: number | null;
  chatId: string | null;
  profile: Record<string, ProfileValue>;
}

export function initialUserState(channelId: string, userId: string): UserState {
  return { channelId, userId, updatedName: null, chatName: null, chatCreatedAt: null, chatId: null, profile: {} };
}

export function userName(user: UserState): string | null {
  return user.updatedName ?? user.chatName;
}

export function evolveUser(user: UserState, event: UserUpdated | UserChatCreated): UserState {
  switch (event.type) {
    case 'user.updated': {
      const { name, profile } = event.data.user;
      return {
        ...user,
        updatedName: name ?? user.updatedName,
        profile: profile ? mergeProfile(user.profile, profile) : user.profile,
      };
    }
    case 'userChat.created': {
      // Chat creations of one user come on different keys, so their order is not guaranteed: compare, don't overwrite.
      const newer =
        user.chatCreatedAt === null ||
        event.occurredAt > user.chatCreatedAt ||
        (event.occurredAt === user.chatCreatedAt && afterInCodePoints(event.userChatId, user.chatId ?? ''));
      return newer
        ? { ...user, chatName: event.data.user.name, chatCreatedAt: event.occurredAt, chatId: event.userChatId }
        : user;
    }
    default: {
      const _exhaustive: never = event;
      throw new Error(`unhandled user event ${JSON.stringify(_exhaustive)}`);
    }
  }
}

/**
 * a sorts after b by code points: the order of PostgreSQL's COLLATE "C" over UTF-8, in which the
 * store merges users' chats. JavaScript's `>` compares UTF-16 units, which differs only where a
 * character beyond U+FFFF (a surrogate pair) meets one from U+E000 to U+FFFF.
 */
export function afterInCodePoints(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xPair = x >= 0xd800 && x <= 0xdfff;
    const yPair = y >= 0xd800 && y <= 0xdfff;
    return xPair === yPair ? x > y : xPair;
  }
  return a.length > b.length;
}
