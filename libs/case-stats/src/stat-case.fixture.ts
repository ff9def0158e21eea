import type { StatCase } from './summary';

/** A completed inbound case with no values, for tests to change what they look at. */
export function statCase(over: Partial<StatCase> = {}): StatCase {
  return {
    userChatCaseCreatedAt: Date.UTC(2025, 6, 1, 3),
    userChatCaseId: 'uc-1-1',
    userChatCaseState: 'completed',
    direction: 'INBOUND',
    userChatState: 'closed',
    teamId: null,
    teamName: null,
    assigneeId: null,
    assigneeName: null,
    mediumName: null,
    tags: [],
    replyCount: 0,
    missedCount: 0,
    snoozedCount: 0,
    csat: undefined,
    waitingTime: null,
    avgReplyTime: null,
    resolutionTime: null,
    leadTime: null,
    totalSnoozedTime: null,
    ...over,
  };
}
