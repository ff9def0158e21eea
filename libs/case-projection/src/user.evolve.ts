import { ProfileValue, UserUpdated } from '@casestats/events';
import { mergeProfile } from './case.evolve';

/**
 * What `user.updated` events make of a customer, for the User data sheet (export.md). The other
 * half of the sheet's name, that of the user's newest chat, is merged by the store itself
 * (`mergeUserChats` in the read model): chats of one user come from any partition in any order.
 */
export interface UserState {
  channelId: string;
  userId: string;
  /** From the last `user.updated` that carried a name. */
  updatedName: string | null;
  profile: Record<string, ProfileValue>;
}

export function initialUserState(channelId: string, userId: string): UserState {
  return { channelId, userId, updatedName: null, profile: {} };
}

export function evolveUser(user: UserState, event: UserUpdated): UserState {
  const { name, profile } = event.data.user;
  return {
    ...user,
    updatedName: name ?? user.updatedName,
    profile: profile ? mergeProfile(user.profile, profile) : user.profile,
  };
}

/** A user a batch touches, with the chat a `userChat.created` names for it (null for a `user.updated`). */
export interface UserOfBatch {
  channelId: string;
  userId: string;
  chat: { id: string; name: string; createdAt: number } | null;
}
