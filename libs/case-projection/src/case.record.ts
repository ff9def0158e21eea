import { ProfileValue } from '@casestats/events';
import { CaseLifecycle, CaseState, ChatState, Direction, UserChatState } from './case.state';

/**
 * A case as the export shows it (fields 1–44 of cases.md, without the URL, which is built from a
 * configured template when exported). Times are epoch ms, durations whole seconds.
 */
export interface CaseRecord {
  channelId: string;
  userChatCaseCreatedAt: number;
  userChatCase: number;
  userChatCaseId: string;
  userChatCaseState: CaseLifecycle;
  userChatCaseUpdatedAt: number;
  userChatId: string;
  direction: Direction;
  userChatState: UserChatState;
  teamId: string | null;
  teamName: string | null;
  assigneeId: string | null;
  assigneeName: string | null;
  managerIds: string | null;
  managerNames: string | null;
  userId: string | null;
  userName: string | null;
  createdAt: number | null;
  firstQueuedAt: number | null;
  firstOpenedAt: number | null;
  firstAskedAt: number | null;
  firstRepliedAt: number | null;
  closedAt: number | null;
  waitingTime: number | null;
  totalReplyTime: number;
  replyCount: number;
  avgReplyTime: number | null;
  resolutionTime: number | null;
  totalSnoozedTime: number;
  leadTime: number | null;
  snoozedCount: number;
  missedCount: number;
  description: string | null;
  summarizedMessage: string | null;
  tags: string | null;
  mediumName: string | null;
  mediumSenderName: string | null;
  marketingType: string | null;
  marketingId: string | null;
  workflowId: string | null;
  page: string | null;
  priority: string | null;
  /** The chat profile (csat, csatComment and custom keys) as the case last saw it. */
  profile: Record<string, ProfileValue>;
}

/** Whole seconds of a millisecond span: rounded down, never below 0. */
export function seconds(ms: number): number {
  return Math.max(0, Math.floor(ms / 1000));
}

function minOf(...values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? Math.min(...present) : null;
}

function joined(values: string[]): string | null {
  return values.length ? values.join(', ') : null;
}

export function caseId(userChatId: string, number: number): string {
  return `${userChatId}-${number}`;
}

export function toCaseRecord(chat: Pick<ChatState, 'channelId' | 'userChatId'>, c: CaseState): CaseRecord {
  const a = c.attrs;
  const totalReplyTime = seconds(c.totalReplyMs);
  const totalSnoozedTime = seconds(c.totalSnoozedMs);
  const resolutionTime = c.closedAt !== null && c.firstOpenedAt !== null ? seconds(c.closedAt - c.firstOpenedAt) : null;
  const waitStart = minOf(c.firstOpenedAt, c.firstQueuedAt, c.firstAskedAt);
  return {
    channelId: chat.channelId,
    // A case starts with a queued or opened event, so one of the two is always set.
    userChatCaseCreatedAt: minOf(c.firstQueuedAt, c.firstOpenedAt) as number,
    userChatCase: c.number,
    userChatCaseId: caseId(chat.userChatId, c.number),
    userChatCaseState: c.state,
    userChatCaseUpdatedAt: c.updatedAt,
    userChatId: chat.userChatId,
    direction: c.direction,
    userChatState: c.userChatState,
    teamId: a.team?.id ?? null,
    teamName: a.team?.name ?? null,
    assigneeId: a.assignee?.id ?? null,
    assigneeName: a.assignee?.name ?? null,
    managerIds: joined(a.followers.map((f) => f.id)),
    managerNames: joined(a.followers.map((f) => f.name)),
    userId: a.user?.id ?? null,
    userName: a.user?.name ?? null,
    createdAt: a.createdAt,
    firstQueuedAt: c.firstQueuedAt,
    firstOpenedAt: c.firstOpenedAt,
    firstAskedAt: c.firstAskedAt,
    firstRepliedAt: c.firstRepliedAt,
    closedAt: c.closedAt,
    waitingTime: c.firstRepliedAt !== null && waitStart !== null ? seconds(c.firstRepliedAt - waitStart) : null,
    totalReplyTime,
    replyCount: c.replyCount,
    avgReplyTime: c.replyCount > 0 ? Math.floor(totalReplyTime / c.replyCount) : null,
    resolutionTime,
    totalSnoozedTime,
    leadTime: resolutionTime === null ? null : Math.max(0, resolutionTime - totalSnoozedTime),
    snoozedCount: c.snoozedCount,
    missedCount: c.missedCount,
    description: a.description,
    summarizedMessage: a.summary,
    tags: joined(a.tags),
    mediumName: a.medium?.name ?? null,
    mediumSenderName: a.medium?.senderName ?? null,
    marketingType: a.marketing?.type ?? null,
    marketingId: a.marketing?.id ?? null,
    workflowId: a.workflowId,
    page: a.page,
    priority: a.priority,
    profile: a.profile,
  };
}
