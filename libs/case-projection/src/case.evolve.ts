import {
  MessageCreated,
  ProfilePatch,
  ProfileValue,
  UserChatEvent,
  UserChatOpened,
  UserChatQueued,
} from '@casestats/events';
import { CaseState, ChatAttributes, ChatState, RECORDING_WINDOW_MS, lastCase } from './case.state';

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
  return replaceLast(state, { ...last, state: 'completed', updatedAt: due });
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

function isOpen(c: CaseState | undefined): c is CaseState {
  return c !== undefined && c.state === 'inProgress' && c.closedAt === null;
}

function startCase(state: ChatState, event: UserChatQueued | UserChatOpened): ChatState {
  const previous = lastCase(state);
  const t = event.occurredAt;
  const kept: CaseState[] = previous
    ? [...state.cases.slice(0, -1), previous.state === 'inProgress' ? { ...previous, state: 'completed', updatedAt: t } : previous]
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
  const t = event.occurredAt;
  const taken: CaseState = { ...c, updatedAt: t, attrs: state.attrs };
  return replaceLast(state, flowStep(taken, event, isPhone(state.attrs)));
}

function flowStep(c: CaseState, event: FlowEvent, phone: boolean): CaseState {
  const t = event.occurredAt;
  switch (event.type) {
    case 'userChat.queued':
      return { ...endHold(c, t), userChatState: 'queued', firstQueuedAt: c.firstQueuedAt ?? t };
    case 'userChat.opened':
      return { ...endHold(firstOpening(c, event, phone), t), userChatState: 'open' };
    case 'userChat.unsnoozed':
      return { ...endHold(c, t), userChatState: 'open' };
    case 'userChat.snoozed':
      return c.holdStartedAt !== null
        ? { ...c, userChatState: 'snoozed' }
        : { ...c, userChatState: 'snoozed', holdStartedAt: t, snoozedCount: c.snoozedCount + 1 };
    case 'call.missed':
      return {
        ...endHold(c, t),
        userChatState: 'missed',
        missedCount: c.missedCount + 1,
        missedBeforeOpen: c.missedBeforeOpen || c.firstOpenedAt === null,
      };
    case 'userChat.closed':
      // An unanswered wait is dropped: the case ended without that reply.
      return { ...endHold(c, t), userChatState: 'closed', closedAt: t, waitStartedAt: null };
    case 'message.created':
      return message(c, event, phone);
    default: {
      const _exhaustive: never = event;
      throw new Error(`unhandled flow event ${JSON.stringify(_exhaustive)}`);
    }
  }
}

function firstOpening(c: CaseState, event: UserChatOpened, phone: boolean): CaseState {
  if (c.firstOpenedAt !== null) return c;
  const t = event.occurredAt;
  const opened: CaseState = { ...c, firstOpenedAt: t, firstAssignment: event.data.assignment };
  if (phone) {
    const answered = c.direction === 'INBOUND' && event.data.assignment === 'auto' && !c.missedBeforeOpen;
    return { ...opened, firstAskedAt: answered ? t : null };
  }
  // Auto assignment: asked when both the opening and a customer message exist, at the second of them.
  if (event.data.assignment === 'auto' && c.firstUserMessageAt !== null && c.firstAskedAt === null) {
    return { ...opened, firstAskedAt: t };
  }
  return opened;
}

function message(c: CaseState, event: MessageCreated, phone: boolean): CaseState {
  const t = event.occurredAt;
  switch (event.data.personType) {
    case 'user': {
      const next: CaseState = {
        ...c,
        firstUserMessageAt: c.firstUserMessageAt ?? t,
        waitStartedAt: c.waitStartedAt ?? t,
      };
      // Either rule for chat media sets firstAskedAt at the first customer message after the first opening.
      const asked = !phone && c.firstAskedAt === null && c.firstOpenedAt !== null;
      return asked ? { ...next, firstAskedAt: t } : next;
    }
    case 'manager': {
      if (c.waitStartedAt === null) return c;
      return {
        ...c,
        waitStartedAt: null,
        replyCount: c.replyCount + 1,
        totalReplyMs: c.totalReplyMs + Math.max(0, t - c.waitStartedAt),
        firstRepliedAt: c.firstRepliedAt ?? (phone ? null : t),
      };
    }
    case 'bot':
      return c;
    default: {
      const _exhaustive: never = event.data.personType;
      throw new Error(`unhandled person type ${String(_exhaustive)}`);
    }
  }
}

function endHold(c: CaseState, t: number): CaseState {
  if (c.holdStartedAt === null) return c;
  return { ...c, holdStartedAt: null, totalSnoozedMs: c.totalSnoozedMs + Math.max(0, t - c.holdStartedAt) };
}

function applyAttribute(state: ChatState, event: AttributeEvent): ChatState {
  const attrs = nextAttributes(state.attrs, event);
  const c = lastCase(state);
  const withAttrs: ChatState = { ...state, attrs };
  if (!c || c.state !== 'inProgress') return withAttrs;
  return replaceLast(withAttrs, { ...c, attrs, updatedAt: event.occurredAt });
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
  return { ...state, cases: [...state.cases.slice(0, -1), c] };
}
