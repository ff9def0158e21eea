/** The user-chat event contract (shared/spec/events.md), as the domain sees it: version 2 only, times as epoch milliseconds. */

export const MEDIUM_NAMES = [
  'inAppChat',
  'phoneNumber',
  'email',
  'appNaverTalk',
  'appInstagramMessenger',
  'appLine',
  'appKakao',
] as const;
export type MediumName = (typeof MEDIUM_NAMES)[number];

export type Initiator = 'user' | 'manager';
export type Assignment = 'auto' | 'manual';
export type PersonType = 'user' | 'manager' | 'bot';
export type MarketingType = 'oneTimeMsg' | 'campaign';

export interface Named {
  id: string;
  name: string;
}

/** A profile value; `null` in a patch removes the key. */
export type ProfileValue = string | number | boolean;
export type ProfilePatch = Record<string, ProfileValue | null>;

interface ChatEnvelope<T extends string, D> {
  id: string;
  type: T;
  occurredAt: number;
  channelId: string;
  userChatId: string;
  data: D;
}

export type UserChatCreated = ChatEnvelope<
  'userChat.created',
  {
    user: { id: string; name: string };
    medium: { name: MediumName; senderName?: string };
    page?: string;
    marketing?: { type: MarketingType; id: string };
    priority?: string;
  }
>;
export type UserChatQueued = ChatEnvelope<'userChat.queued', { initiatedBy: Initiator }>;
export type UserChatOpened = ChatEnvelope<'userChat.opened', { assignment: Assignment; initiatedBy: Initiator }>;
export type UserChatSnoozed = ChatEnvelope<'userChat.snoozed', { until?: number }>;
export type UserChatUnsnoozed = ChatEnvelope<'userChat.unsnoozed', Record<string, never>>;
export type UserChatClosed = ChatEnvelope<'userChat.closed', Record<string, never>>;
export type CallMissed = ChatEnvelope<'call.missed', { callId?: string }>;
export type MessageCreated = ChatEnvelope<'message.created', { personType: PersonType; messageId?: string }>;
export type AssigneeChanged = ChatEnvelope<'userChat.assigneeChanged', { assignee: Named | null }>;
export type TeamChanged = ChatEnvelope<'userChat.teamChanged', { team: Named | null }>;
export type FollowersChanged = ChatEnvelope<'userChat.followersChanged', { followers: Named[] }>;
export type TagsChanged = ChatEnvelope<'userChat.tagsChanged', { tags: string[] }>;
export type ProfileUpdated = ChatEnvelope<'userChat.profileUpdated', { profile: ProfilePatch }>;
export type DescriptionChanged = ChatEnvelope<'userChat.descriptionChanged', { description: string | null }>;
export type Summarized = ChatEnvelope<'userChat.summarized', { summary: string }>;
export type PriorityChanged = ChatEnvelope<'userChat.priorityChanged', { priority: string | null }>;
export type WorkflowStarted = ChatEnvelope<'workflow.started', { workflowId: string }>;

export interface UserUpdated {
  id: string;
  type: 'user.updated';
  occurredAt: number;
  channelId: string;
  data: { user: { id: string; name?: string; profile?: ProfilePatch } };
}

export type UserChatEvent =
  | UserChatCreated
  | UserChatQueued
  | UserChatOpened
  | UserChatSnoozed
  | UserChatUnsnoozed
  | UserChatClosed
  | CallMissed
  | MessageCreated
  | AssigneeChanged
  | TeamChanged
  | FollowersChanged
  | TagsChanged
  | ProfileUpdated
  | DescriptionChanged
  | Summarized
  | PriorityChanged
  | WorkflowStarted;

export type CaseStatsEvent = UserChatEvent | UserUpdated;
export type EventType = CaseStatsEvent['type'];

export const EVENT_TYPES: readonly EventType[] = [
  'userChat.created',
  'userChat.queued',
  'userChat.opened',
  'userChat.snoozed',
  'userChat.unsnoozed',
  'userChat.closed',
  'call.missed',
  'message.created',
  'userChat.assigneeChanged',
  'userChat.teamChanged',
  'userChat.followersChanged',
  'userChat.tagsChanged',
  'userChat.profileUpdated',
  'userChat.descriptionChanged',
  'userChat.summarized',
  'userChat.priorityChanged',
  'workflow.started',
  'user.updated',
];

/** The partition key the platform uses: the chat, or the user for `user.updated`. */
export function eventKey(event: CaseStatsEvent): string {
  return event.type === 'user.updated' ? event.data.user.id : event.userChatId;
}
