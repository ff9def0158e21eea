import {
  MessageCreated,
  ProfilePatch,
  ProfileValue,
  UserChatEvent,
  UserChatOpened,
  UserChatQueued,
} from '@casestats/events';
import { CaseState, ChatAttributes, ChatState, RECORDING_WINDOW_MS, copyCase, lastCase } from './case.state';

type FlowEvent = Extract<
  UserChatEvent,
  { type: 'userChat.queued' | 'userChat.opened' | 'userChat.snoozed' | 'userChat.unsnoozed' | 'userChat.closed' | 'call.missed' | 'message.created' }
>;
type AttributeEvent = Exclude<UserChatEvent, FlowEvent>;

/**
 * Folds one event of a chat into its state (shared/spec/cases.md). Pure: time comes from the
 * event. Duplicates are the caller's concern (see project-batch.ts), since they are decided by id.
 */
export function evolve(state: ChatState, event: UserChatEvent): ChatState {
  const current = completeDue(state, event.occurredAt);
  switch (event.type) {
    case 'userChat.queued':
    case 'userChat.opened':
      return startsCase(current) ? startCase(current, event) : applyFlow(current, event);
    case 'userChat.snoozed':
    case 'userChat.unsnoozed':
    case 'userChat.closed':
    case 'call.missed':
    case 'message.created':
      return applyFlow(current, event);
    case 'userChat.created':
    case 'userChat.assigneeChanged':
    case 'userChat.teamChanged':
    case 'userChat.followersChanged':
    case 'userChat.tagsChanged':
    case 'userChat.profileUpdated':
    case 'userChat.descriptionChanged':
    case 'userChat.summarized':
    case 'userChat.priorityChanged':
    case 'workflow.started':
      return applyAttribute(current, event);
    default: {
      const _exhaustive: never = event;
      throw new Error(`unhandled event ${JSON.stringify(_exhaustive)}`);
    }
  }
}

/** When the latest case's recording window has passed at `now`, freezes it at the end of the window. */
export function completeDue(state: ChatState, now: number): ChatState {
  const last = lastCase(state);
  const due = completionDueAt(state);
  if (!last || due === null || due > now) return state;
  return replaceLast(state, completed(last, due));
}

/** When the latest case will complete by time alone, or null if it cannot (open, or already completed). */
export function completionDueAt(state: ChatState): number | null {
  const last = lastCase(state);
  if (!last || last.state !== 'inProgress' || last.closedAt === null) return null;
  return last.closedAt + RECORDING_WINDOW_MS;
}

function startsCase(state: ChatState): boolean {
  const last = lastCase(state);
  return !last || last.closedAt !== null;
}

/** The case frozen at `at`: a copy, like every change here. */
function completed(c: CaseState, at: number): CaseState {
  const done = copyCase(c, at, c.attrs);
  done.state = 'completed';
  return done;
}

function isOpen(c: CaseState | undefined): c is CaseState {
  return c !== undefined && c.state === 'inProgress' && c.closedAt === null;
}

function startCase(state: ChatState, event: UserChatQueued | UserChatOpened): ChatState {
  const previous = lastCase(state);
  const t = event.occurredAt;
  const kept: CaseState[] = previous
    ? [...state.cases.slice(0, -1), previous.state === 'inProgress' ? completed(previous, t) : previous]
    : [];
  const fresh: CaseState = {
    number: (previous?.number ?? 0) + 1,
    state: 'inProgress',
    updatedAt: t,
    direction: event.data.initiatedBy === 'manager' ? 'OUTBOUND' : 'INBOUND',
    userChatState: 'queued',
    firstQueuedAt: null,
    firstOpenedAt: null,
    firstAssignment: null,
    firstUserMessageAt: null,
    firstAskedAt: null,
    firstRepliedAt: null,
    closedAt: null,
    missedBeforeOpen: false,
    waitStartedAt: null,
    totalReplyMs: 0,
    replyCount: 0,
    holdStartedAt: null,
    totalSnoozedMs: 0,
    snoozedCount: 0,
    missedCount: 0,
    attrs: state.attrs,
  };
  return applyFlow({ ...state, cases: [...kept, fresh] }, event);
}

function applyFlow(state: ChatState, event: FlowEvent): ChatState {
  const c = lastCase(state);
  // Flow events outside an open case (none yet, or after the close) are ignored.
  if (!isOpen(c)) return state;
  // The one copy of the case this event makes; the steps below fill it in before anyone sees it.
  const next = copyCase(c, event.occurredAt, state.attrs);
  flowStep(next, event, isPhone(state.attrs));
  return withLastCase(state, state.attrs, next);
}

/** Applies a flow event to `d`, a fresh copy of the open case that nothing else holds yet. */
function flowStep(d: CaseState, event: FlowEvent, phone: boolean): void {
  const t = event.occurredAt;
  switch (event.type) {
    case 'userChat.queued':
      endHold(d, t);
      d.userChatState = 'queued';
      d.firstQueuedAt ??= t;
      return;
    case 'userChat.opened':
      firstOpening(d, event, phone);
      endHold(d, t);
      d.userChatState = 'open';
      return;
    case 'userChat.unsnoozed':
      endHold(d, t);
      d.userChatState = 'open';
      return;
    case 'userChat.snoozed':
      d.userChatState = 'snoozed';
      if (d.holdStartedAt === null) {
        d.holdStartedAt = t;
        d.snoozedCount++;
      }
      return;
    case 'call.missed':
      endHold(d, t);
      d.userChatState = 'missed';
      d.missedCount++;
      d.missedBeforeOpen ||= d.firstOpenedAt === null;
      return;
    case 'userChat.closed':
      endHold(d, t);
      d.userChatState = 'closed';
      d.closedAt = t;
      // An unanswered wait is dropped: the case ended without that reply.
      d.waitStartedAt = null;
      return;
    case 'message.created':
      message(d, event, phone);
      return;
    default: {
      const _exhaustive: never = event;
      throw new Error(`unhandled flow event ${JSON.stringify(_exhaustive)}`);
    }
  }
}

function firstOpening(d: CaseState, event: UserChatOpened, phone: boolean): void {
  if (d.firstOpenedAt !== null) return;
  const t = event.occurredAt;
  const auto = event.data.assignment === 'auto';
  if (phone) {
    d.firstAskedAt = d.direction === 'INBOUND' && auto && !d.missedBeforeOpen ? t : null;
  } else if (auto && d.firstUserMessageAt !== null && d.firstAskedAt === null) {
    // Auto assignment: asked when both the opening and a customer message exist, at the second of them.
    d.firstAskedAt = t;
  }
  d.firstOpenedAt = t;
  d.firstAssignment = event.data.assignment;
}

function message(d: CaseState, event: MessageCreated, phone: boolean): void {
  const t = event.occurredAt;
  switch (event.data.personType) {
    case 'user':
      // Either rule for chat media sets firstAskedAt at the first customer message after the first opening.
      if (!phone && d.firstAskedAt === null && d.firstOpenedAt !== null) d.firstAskedAt = t;
      d.firstUserMessageAt ??= t;
      d.waitStartedAt ??= t;
      return;
    case 'manager':
      if (d.waitStartedAt === null) return;
      d.replyCount++;
      d.totalReplyMs += Math.max(0, t - d.waitStartedAt);
      d.firstRepliedAt ??= phone ? null : t;
      d.waitStartedAt = null;
      return;
    case 'bot':
      return;
    default: {
      const _exhaustive: never = event.data.personType;
      throw new Error(`unhandled person type ${String(_exhaustive)}`);
    }
  }
}

function endHold(d: CaseState, t: number): void {
  if (d.holdStartedAt === null) return;
  d.totalSnoozedMs += Math.max(0, t - d.holdStartedAt);
  d.holdStartedAt = null;
}

function applyAttribute(state: ChatState, event: AttributeEvent): ChatState {
  const attrs = nextAttributes(state.attrs, event);
  const c = lastCase(state);
  if (!c || c.state !== 'inProgress') return { channelId: state.channelId, userChatId: state.userChatId, attrs, cases: state.cases };
  return withLastCase(state, attrs, copyCase(c, event.occurredAt, attrs));
}

function nextAttributes(a: ChatAttributes, event: AttributeEvent): ChatAttributes {
  switch (event.type) {
    case 'userChat.created': {
      const d = event.data;
      return {
        ...a,
        createdAt: event.occurredAt,
        user: d.user,
        medium: { name: d.medium.name, senderName: d.medium.senderName ?? null },
        page: d.page ?? a.page,
        marketing: d.marketing ?? a.marketing,
        priority: d.priority ?? a.priority,
      };
    }
    case 'userChat.assigneeChanged':
      return { ...a, assignee: event.data.assignee };
    case 'userChat.teamChanged':
      return { ...a, team: event.data.team };
    case 'userChat.followersChanged':
      return { ...a, followers: event.data.followers };
    case 'userChat.tagsChanged':
      return { ...a, tags: event.data.tags };
    case 'userChat.profileUpdated':
      return { ...a, profile: mergeProfile(a.profile, event.data.profile) };
    case 'userChat.descriptionChanged':
      return { ...a, description: event.data.description };
    case 'userChat.summarized':
      return { ...a, summary: event.data.summary };
    case 'userChat.priorityChanged':
      return { ...a, priority: event.data.priority };
    case 'workflow.started':
      return a.workflowId === null ? { ...a, workflowId: event.data.workflowId } : a;
    default: {
      const _exhaustive: never = event;
      throw new Error(`unhandled attribute event ${JSON.stringify(_exhaustive)}`);
    }
  }
}

/** JSON merge patch, one level deep: `null` removes a key. */
export function mergeProfile(profile: Record<string, ProfileValue>, patch: ProfilePatch): Record<string, ProfileValue> {
  const next = { ...profile };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

function isPhone(attrs: ChatAttributes): boolean {
  return attrs.medium?.name === 'phoneNumber';
}

function replaceLast(state: ChatState, c: CaseState): ChatState {
  return withLastCase(state, state.attrs, c);
}

function withLastCase(state: ChatState, attrs: ChatAttributes, c: CaseState): ChatState {
  const cases = state.cases.slice();
  cases[cases.length - 1] = c;
  return { channelId: state.channelId, userChatId: state.userChatId, attrs, cases };
}
