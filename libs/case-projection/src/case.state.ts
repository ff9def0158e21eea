import { MarketingType, MediumName, Named, ProfileValue } from '@casestats/events';

/** What the chat currently says about itself; a case mirrors it while the case is in progress. */
export interface ChatAttributes {
  createdAt: number | null;
  user: Named | null;
  medium: { name: MediumName; senderName: string | null } | null;
  page: string | null;
  marketing: { type: MarketingType; id: string } | null;
  priority: string | null;
  description: string | null;
  summary: string | null;
  team: Named | null;
  assignee: Named | null;
  followers: Named[];
  tags: string[];
  profile: Record<string, ProfileValue>;
  /** The first workflow of the whole chat. */
  workflowId: string | null;
}

export type CaseLifecycle = 'inProgress' | 'completed';
export type UserChatState = 'queued' | 'open' | 'snoozed' | 'missed' | 'closed';
export type Direction = 'INBOUND' | 'OUTBOUND';

export interface CaseState {
  number: number;
  state: CaseLifecycle;
  updatedAt: number;
  direction: Direction;
  userChatState: UserChatState;
  firstQueuedAt: number | null;
  firstOpenedAt: number | null;
  firstAssignment: 'auto' | 'manual' | null;
  firstUserMessageAt: number | null;
  firstAskedAt: number | null;
  firstRepliedAt: number | null;
  closedAt: number | null;
  missedBeforeOpen: boolean;
  /** Start of the customer's unanswered wait, if one is running. */
  waitStartedAt: number | null;
  totalReplyMs: number;
  replyCount: number;
  /** Start of the hold in progress, if the chat is on hold. */
  holdStartedAt: number | null;
  totalSnoozedMs: number;
  snoozedCount: number;
  missedCount: number;
  attrs: ChatAttributes;
}

export interface ChatState {
  channelId: string;
  userChatId: string;
  attrs: ChatAttributes;
  /**
   * The chat's most recent cases, oldest first; only the last can still change (or the one before
   * it, which the next case completes). The store keeps just the last one between batches.
   */
  cases: CaseState[];
}

export const emptyAttributes: ChatAttributes = Object.freeze({
  createdAt: null,
  user: null,
  medium: null,
  page: null,
  marketing: null,
  priority: null,
  description: null,
  summary: null,
  team: null,
  assignee: null,
  followers: [],
  tags: [],
  profile: {},
  workflowId: null,
}) as ChatAttributes;

export function initialChatState(channelId: string, userChatId: string): ChatState {
  return { channelId, userChatId, attrs: emptyAttributes, cases: [] };
}

/**
 * A copy of a case at a new time, with the chat's attributes. Written out field by field rather
 * than spread: every case then has one shape, and evolve's reads of it stay monomorphic. Spreading
 * cases made in different places (a literal, a spread, JSON.parse) went through V8's generic
 * clone, property by property: a third of the projection's time.
 */
export function copyCase(c: CaseState, updatedAt: number, attrs: ChatAttributes): CaseState {
  return {
    number: c.number,
    state: c.state,
    updatedAt,
    direction: c.direction,
    userChatState: c.userChatState,
    firstQueuedAt: c.firstQueuedAt,
    firstOpenedAt: c.firstOpenedAt,
    firstAssignment: c.firstAssignment,
    firstUserMessageAt: c.firstUserMessageAt,
    firstAskedAt: c.firstAskedAt,
    firstRepliedAt: c.firstRepliedAt,
    closedAt: c.closedAt,
    missedBeforeOpen: c.missedBeforeOpen,
    waitStartedAt: c.waitStartedAt,
    totalReplyMs: c.totalReplyMs,
    replyCount: c.replyCount,
    holdStartedAt: c.holdStartedAt,
    totalSnoozedMs: c.totalSnoozedMs,
    snoozedCount: c.snoozedCount,
    missedCount: c.missedCount,
    attrs,
  };
}

export function lastCase(state: ChatState): CaseState | undefined {
  return state.cases[state.cases.length - 1];
}

/** The recording window after a close, before the case freezes. */
export const RECORDING_WINDOW_MS = 60 * 60 * 1000;
