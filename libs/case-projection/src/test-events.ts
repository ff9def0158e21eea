/**
 * Test-only builders: typed events with defaults, so a unit test reads as a scenario
 * ("given these events of chat uc-1 → this record"). Not exported from the library's index.
 */
import {
  Assignment,
  Initiator,
  MarketingType,
  MediumName,
  Named,
  PersonType,
  ProfilePatch,
  UserChatCreated,
  UserChatEvent,
  UserUpdated,
} from '@casestats/events';
import { evolve } from './case.evolve';
import { CaseRecord, toCaseRecord } from './case.record';
import { ChatState, initialChatState } from './case.state';

export const CHANNEL = 'ch-1';
/** The day a bare time of day ('01:02', '01:02:03.456') falls on, in UTC. */
export const DAY = '2025-07-01';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
const TIME_OF_DAY = /^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/**
 * An ISO instant ('2025-07-01T01:00:00.000Z'), or a time of day on `DAY` in UTC, as epoch ms.
 * Uses `Date.parse`, not the contract's own parser, so the tests of that parser stay independent.
 */
export function at(time: string): number {
  let iso = time;
  if (TIME_OF_DAY.test(time)) iso = `${DAY}T${time.length === 5 ? `${time}:00` : time}Z`;
  if (!ISO_INSTANT.test(iso)) throw new Error(`test time must be an ISO instant with a zone or HH:MM[:SS[.mmm]]: ${time}`);
  return Date.parse(iso);
}

/** Seconds and milliseconds as a span in ms, for readable expectations. */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

type Of<T extends UserChatEvent['type']> = Extract<UserChatEvent, { type: T }>;

export interface CreatedOptions {
  user?: Named;
  medium?: MediumName;
  senderName?: string;
  page?: string;
  marketing?: { type: MarketingType; id: string };
  priority?: string;
}

/** Event ids are unique across every builder of a test run, as the contract wants them (not only per chat). */
let eventCount = 0;

/** The events of one chat; ids are `{userChatId}-e{n}` with n counted over all events built. */
export function chat(userChatId = 'uc-1', channelId = CHANNEL) {
  const event = <T extends UserChatEvent['type']>(type: T, time: string, data: Of<T>['data']): Of<T> =>
    ({ id: `${userChatId}-e${++eventCount}`, type, occurredAt: at(time), channelId, userChatId, data }) as Of<T>;

  return {
    userChatId,
    channelId,
    created(time: string, o: CreatedOptions = {}): UserChatCreated {
      const medium = o.medium ?? 'inAppChat';
      return event('userChat.created', time, {
        user: o.user ?? { id: 'u-1', name: '김민수' },
        medium: o.senderName === undefined ? { name: medium } : { name: medium, senderName: o.senderName },
        ...(o.page !== undefined && { page: o.page }),
        ...(o.marketing !== undefined && { marketing: o.marketing }),
        ...(o.priority !== undefined && { priority: o.priority }),
      });
    },
    queued: (time: string, initiatedBy: Initiator = 'user') => event('userChat.queued', time, { initiatedBy }),
    opened: (time: string, assignment: Assignment = 'auto', initiatedBy: Initiator = 'user') =>
      event('userChat.opened', time, { assignment, initiatedBy }),
    snoozed: (time: string, until?: string) => event('userChat.snoozed', time, until === undefined ? {} : { until: at(until) }),
    unsnoozed: (time: string) => event('userChat.unsnoozed', time, {}),
    closed: (time: string) => event('userChat.closed', time, {}),
    missed: (time: string) => event('call.missed', time, {}),
    message: (time: string, personType: PersonType) => event('message.created', time, { personType }),
    /** A customer message. */
    user: (time: string) => event('message.created', time, { personType: 'user' }),
    /** A team member's message. */
    manager: (time: string) => event('message.created', time, { personType: 'manager' }),
    bot: (time: string) => event('message.created', time, { personType: 'bot' }),
    assignee: (time: string, assignee: Named | null) => event('userChat.assigneeChanged', time, { assignee }),
    team: (time: string, team: Named | null) => event('userChat.teamChanged', time, { team }),
    followers: (time: string, followers: Named[]) => event('userChat.followersChanged', time, { followers }),
    tags: (time: string, tags: string[]) => event('userChat.tagsChanged', time, { tags }),
    profile: (time: string, profile: ProfilePatch) => event('userChat.profileUpdated', time, { profile }),
    description: (time: string, description: string | null) => event('userChat.descriptionChanged', time, { description }),
    summary: (time: string, summary: string) => event('userChat.summarized', time, { summary }),
    priority: (time: string, priority: string | null) => event('userChat.priorityChanged', time, { priority }),
    workflow: (time: string, workflowId: string) => event('workflow.started', time, { workflowId }),
  };
}

export type ChatEvents = ReturnType<typeof chat>;

export function userUpdated(
  time: string,
  user: { id: string; name?: string; profile?: ProfilePatch },
  channelId = CHANNEL,
): UserUpdated {
  return { id: `${user.id}-e${++eventCount}`, type: 'user.updated', occurredAt: at(time), channelId, data: { user } };
}

/** Folds events of one chat into its state, from the empty chat or from `from`. */
export function given(events: readonly UserChatEvent[], from?: ChatState): ChatState {
  const first = events[0];
  const start = from ?? initialChatState(first?.channelId ?? CHANNEL, first?.userChatId ?? 'uc-1');
  return events.reduce(evolve, start);
}

/** Every case of the chat as the export shows it, oldest first. */
export function recordsOf(state: ChatState): CaseRecord[] {
  return state.cases.map((c) => toCaseRecord(state, c));
}

/** The chat's latest case record; fails the test when the chat has no case. */
export function lastRecord(state: ChatState): CaseRecord {
  const records = recordsOf(state);
  const last = records[records.length - 1];
  if (!last) throw new Error(`chat ${state.userChatId} has no case`);
  return last;
}
