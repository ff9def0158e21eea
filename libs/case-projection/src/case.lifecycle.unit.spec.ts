import { describe, expect, it } from 'vitest';
import { chatKey, completeDue, completeDueChats, completionDueAt, evolve, projectBatch, toCaseRecord, CaseRecord } from './index';
import { ChatEvents, HOUR, MINUTE, at, chat, given, lastRecord, recordsOf } from './test-events';

// cases.md "Lifecycle", userChatCaseUpdatedAt, direction and userChatState.

describe('a case starts', () => {
  it('at userChat.queued: the whole record, with the chat created before it', () => {
    const c = chat('uc-1');
    const state = given([c.created('00:59', { page: 'https://shop.example/p/1' }), c.queued('01:00')]);

    expect(recordsOf(state)).toEqual<CaseRecord[]>([
      {
        channelId: 'ch-1',
        userChatCaseCreatedAt: at('01:00'),
        userChatCase: 1,
        userChatCaseId: 'uc-1-1',
        userChatCaseState: 'inProgress',
        userChatCaseUpdatedAt: at('01:00'),
        userChatId: 'uc-1',
        direction: 'INBOUND',
        userChatState: 'queued',
        teamId: null,
        teamName: null,
        assigneeId: null,
        assigneeName: null,
        managerIds: null,
        managerNames: null,
        userId: 'u-1',
        userName: '김민수',
        createdAt: at('00:59'),
        firstQueuedAt: at('01:00'),
        firstOpenedAt: null,
        firstAskedAt: null,
        firstRepliedAt: null,
        closedAt: null,
        waitingTime: null,
        totalReplyTime: 0,
        replyCount: 0,
        avgReplyTime: null,
        resolutionTime: null,
        totalSnoozedTime: 0,
        leadTime: null,
        snoozedCount: 0,
        missedCount: 0,
        description: null,
        summarizedMessage: null,
        tags: null,
        mediumName: 'inAppChat',
        mediumSenderName: null,
        marketingType: null,
        marketingId: null,
        workflowId: null,
        page: 'https://shop.example/p/1',
        priority: null,
        profile: {},
      },
    ]);
  });

  it('at userChat.opened when the chat was never queued', () => {
    const c = chat();
    const record = lastRecord(given([c.created('00:59'), c.opened('01:00', 'manual')]));

    expect(record).toMatchObject({
      userChatCase: 1,
      userChatCaseCreatedAt: at('01:00'),
      userChatState: 'open',
      firstQueuedAt: null,
      firstOpenedAt: at('01:00'),
      userChatCaseUpdatedAt: at('01:00'),
    });
  });

  it('is created at min(firstQueuedAt, firstOpenedAt)', () => {
    const c = chat();
    const record = lastRecord(given([c.created('00:59'), c.queued('01:00'), c.opened('01:05')]));
    expect(record.userChatCaseCreatedAt).toBe(at('01:00'));
    expect(record.firstQueuedAt).toBe(at('01:00'));
    expect(record.firstOpenedAt).toBe(at('01:05'));
  });

  it('only when no case is open: queued and opened again inside a case keep the first times', () => {
    const c = chat();
    const state = given([
      c.created('00:59'),
      c.queued('01:00'),
      c.opened('01:01'),
      c.queued('01:05'),
      c.opened('01:06', 'manual'),
    ]);
    expect(state.cases).toHaveLength(1);
    expect(lastRecord(state)).toMatchObject({ firstQueuedAt: at('01:00'), firstOpenedAt: at('01:01'), userChatState: 'open' });
  });

  it('numbered previous + 1 within the chat, with ids {userChatId}-{n}', () => {
    const c = chat('uc-7');
    const state = given([
      c.created('00:59'),
      c.queued('01:00'),
      c.closed('01:10'),
      c.opened('03:00'),
      c.closed('03:10'),
      c.queued('05:00'),
    ]);
    expect(recordsOf(state).map((r) => [r.userChatCase, r.userChatCaseId, r.userChatCaseCreatedAt])).toEqual([
      [1, 'uc-7-1', at('01:00')],
      [2, 'uc-7-2', at('03:00')],
      [3, 'uc-7-3', at('05:00')],
    ]);
  });

  it('numbers each chat on its own', () => {
    const a = chat('uc-a');
    const b = chat('uc-b');
    const stateA = given([a.queued('01:00'), a.closed('01:01'), a.queued('03:00')]);
    const stateB = given([b.queued('01:00')]);
    expect(lastRecord(stateA).userChatCaseId).toBe('uc-a-2');
    expect(lastRecord(stateB).userChatCaseId).toBe('uc-b-1');
  });
});

describe('the next case completes the previous one', () => {
  it('at the new event\'s time when the previous case closed less than an hour ago', () => {
    const c = chat();
    const state = given([c.created('00:59'), c.opened('01:00'), c.closed('01:30'), c.queued('02:00')]);
    const [first, second] = recordsOf(state);
    expect(first).toMatchObject({ userChatCaseState: 'completed', userChatCaseUpdatedAt: at('02:00'), userChatState: 'closed' });
    expect(second).toMatchObject({ userChatCase: 2, userChatCaseState: 'inProgress', userChatCaseUpdatedAt: at('02:00') });
  });

  it('one millisecond before the end of the window, still at the new event\'s time', () => {
    const c = chat();
    const state = given([c.opened('01:00'), c.closed('01:30'), c.opened('02:29:59.999')]);
    expect(recordsOf(state)[0].userChatCaseUpdatedAt).toBe(at('02:29:59.999'));
  });

  it('but a case whose window has passed was completed at closedAt + 1 hour, not at the new event\'s time', () => {
    const c = chat();
    const state = given([c.opened('01:00'), c.closed('01:30'), c.queued('02:35')]);
    expect(recordsOf(state)[0]).toMatchObject({ userChatCaseState: 'completed', userChatCaseUpdatedAt: at('02:30') });
  });
});

describe('completion at closedAt + 1 hour', () => {
  const c = chat();
  const closedCase = given([c.created('00:59'), c.opened('01:00'), c.closed('01:30')]);

  it('is applied before a later event: the event goes to the chat only', () => {
    const state = given([c.tags('03:00', ['late'])], closedCase);
    expect(lastRecord(state)).toMatchObject({ userChatCaseState: 'completed', userChatCaseUpdatedAt: at('02:30'), tags: null });
    expect(state.attrs.tags).toEqual(['late']);
  });

  it('happens exactly at the boundary: closedAt + 1 hour <= t', () => {
    const state = given([c.tags('02:30:00.000', ['at-boundary'])], closedCase);
    expect(lastRecord(state)).toMatchObject({ userChatCaseState: 'completed', userChatCaseUpdatedAt: at('02:30'), tags: null });
  });

  it('does not happen one millisecond before the boundary', () => {
    const state = given([c.tags('02:29:59.999', ['just-in'])], closedCase);
    expect(lastRecord(state)).toMatchObject({
      userChatCaseState: 'inProgress',
      userChatCaseUpdatedAt: at('02:29:59.999'),
      tags: 'just-in',
    });
  });

  it('also before an ignored flow event', () => {
    const state = given([c.user('04:00')], closedCase);
    expect(lastRecord(state)).toMatchObject({ userChatCaseState: 'completed', userChatCaseUpdatedAt: at('02:30') });
  });

  it('then leaves the record unchanged for good', () => {
    const done = given([c.user('04:00')], closedCase);
    const later = given([c.team('05:00', { id: 't-1', name: 'CS' }), c.profile('05:01', { csat: 5 }), c.manager('05:02')], done);
    expect(lastRecord(later)).toEqual(lastRecord(done));
  });
});

describe('the sweep: completeDue(state, now)', () => {
  const c = chat();
  const closedCase = given([c.created('00:59'), c.opened('01:00'), c.closed('01:30')]);

  it('writes closedAt + 1 hour, never the time of the sweep', () => {
    const swept = completeDue(closedCase, at('07:45'));
    expect(lastRecord(swept)).toMatchObject({ userChatCaseState: 'completed', userChatCaseUpdatedAt: at('02:30'), userChatState: 'closed' });
  });

  it('completes at exactly closedAt + 1 hour', () => {
    expect(lastRecord(completeDue(closedCase, at('02:30'))).userChatCaseState).toBe('completed');
  });

  it('changes nothing before the window has passed (same state object)', () => {
    expect(completeDue(closedCase, at('02:29:59.999'))).toBe(closedCase);
  });

  it('changes nothing for an open case, a completed case or a chat without cases', () => {
    const open = given([c.opened('01:00')]);
    const completed = completeDue(closedCase, at('03:00'));
    const empty = given([c.created('00:59')]);
    expect(completeDue(open, at('23:00'))).toBe(open);
    expect(completeDue(completed, at('23:00'))).toBe(completed);
    expect(completeDue(empty, at('23:00'))).toBe(empty);
  });

  it('gives the same record as a replay where a later event completes the case', () => {
    const swept = completeDue(closedCase, at('09:00'));
    const replayed = given([c.description('09:00', 'after')], closedCase);
    expect(lastRecord(swept)).toEqual(lastRecord(replayed));
  });

  it('completionDueAt is closedAt + 1 hour for a closed case in progress, else null', () => {
    expect(completionDueAt(closedCase)).toBe(at('01:30') + HOUR);
    expect(completionDueAt(given([c.opened('01:00')]))).toBeNull();
    expect(completionDueAt(completeDue(closedCase, at('03:00')))).toBeNull();
    expect(completionDueAt(given([c.created('00:59')]))).toBeNull();
  });

  it('completeDueChats reports only the cases it completed, at the end of their windows', () => {
    const d = chat('uc-2');
    const due = given([d.opened('01:00'), d.closed('01:10')]);
    const e = chat('uc-3');
    const notYet = given([e.opened('01:00'), e.closed('02:00')]);
    const open = given([chat('uc-4').opened('01:00')]);
    const out = completeDueChats([closedCase, due, notYet, open], at('02:45'));
    const records = out.cases.map(({ chat: ch, case: cs }) => toCaseRecord(ch, cs));
    expect(records.map((r) => [r.userChatCaseId, r.userChatCaseState, r.userChatCaseUpdatedAt])).toEqual([
      ['uc-1-1', 'completed', at('02:30')],
      ['uc-2-1', 'completed', at('02:10')],
    ]);
    expect(out.chats.map((ch) => ch.userChatId)).toEqual(['uc-1', 'uc-2']);
  });
});

describe('flow events outside an open case are ignored', () => {
  it('before the first case: no case, no wait, no hold, no missed call', () => {
    const c = chat();
    const before = given([c.created('00:59'), c.user('00:59:10'), c.snoozed('00:59:20'), c.missed('00:59:30'), c.unsnoozed('00:59:40'), c.closed('00:59:50')]);
    expect(before.cases).toEqual([]);

    const record = lastRecord(given([c.queued('01:00'), c.manager('01:01'), c.unsnoozed('01:02')], before));
    expect(record).toMatchObject({ replyCount: 0, snoozedCount: 0, totalSnoozedTime: 0, missedCount: 0, closedAt: null, firstAskedAt: null });
  });

  it('after the close, inside the window: nothing changes, not even userChatCaseUpdatedAt', () => {
    const c = chat();
    const closed = given([c.created('00:59'), c.opened('01:00'), c.user('01:01'), c.manager('01:02'), c.closed('01:30')]);
    const after = given(
      [c.user('01:31'), c.manager('01:32'), c.bot('01:33'), c.snoozed('01:34'), c.missed('01:35'), c.unsnoozed('01:36'), c.closed('01:50')],
      closed,
    );
    expect(lastRecord(after)).toEqual(lastRecord(closed));
    expect(lastRecord(after)).toMatchObject({ userChatCaseUpdatedAt: at('01:30'), closedAt: at('01:30'), userChatState: 'closed', replyCount: 1 });
  });
});

describe('userChatCaseUpdatedAt', () => {
  const c = chat();
  const open = given([c.created('00:59'), c.opened('01:00'), c.user('01:01')]);

  it('is bumped by an event that changes no other field', () => {
    const withTeam = given([c.team('01:02', { id: 't-1', name: 'CS' })], open);
    const unchanging = [c.bot('01:05'), c.user('01:05'), c.tags('01:05', []), c.team('01:05', { id: 't-1', name: 'CS' })];
    for (const event of unchanging) {
      const before = lastRecord(withTeam);
      const after = lastRecord(evolve(withTeam, event));
      expect(after.userChatCaseUpdatedAt, event.type).toBe(at('01:05'));
      expect({ ...after, userChatCaseUpdatedAt: 0 }, event.type).toEqual({ ...before, userChatCaseUpdatedAt: 0 });
    }
  });

  it('is bumped by a manager message that answers no wait', () => {
    const answered = given([c.manager('01:02')], open);
    const extra = given([c.manager('01:07')], answered);
    expect(lastRecord(extra)).toMatchObject({ replyCount: 1, userChatCaseUpdatedAt: at('01:07') });
  });

  it('is not bumped by a duplicate event (same id) in a batch', () => {
    const tag = c.tags('01:10', ['a']);
    const out = projectBatch([tag, c.bot('01:11'), { ...tag, occurredAt: at('01:20') }], {
      chats: new Map([[chatKey('ch-1', 'uc-1'), open]]),
      applied: new Set(),
    });
    expect(out.duplicates).toBe(1);
    expect(toCaseRecord(out.chats[0], out.chats[0].cases[0]).userChatCaseUpdatedAt).toBe(at('01:11'));
  });

  it('on completion is the completion time', () => {
    const state = given([c.closed('01:30'), c.bot('01:40'), c.summary('03:00', 'late')], open);
    expect(lastRecord(state).userChatCaseUpdatedAt).toBe(at('01:30') + HOUR);
  });
});

describe('direction', () => {
  it.each([
    ['queued by the user', (c: ChatEvents) => c.queued('01:00', 'user'), 'INBOUND'],
    ['queued by a manager', (c: ChatEvents) => c.queued('01:00', 'manager'), 'OUTBOUND'],
    ['opened by the user', (c: ChatEvents) => c.opened('01:00', 'auto', 'user'), 'INBOUND'],
    ['opened by a manager', (c: ChatEvents) => c.opened('01:00', 'manual', 'manager'), 'OUTBOUND'],
  ] as const)('a case started %s is %s', (_name, start, direction) => {
    const c = chat();
    expect(lastRecord(given([c.created('00:59'), start(c)])).direction).toBe(direction);
  });

  it('is decided by the starting event only', () => {
    const c = chat();
    const inbound = given([c.queued('01:00', 'user'), c.opened('01:01', 'manual', 'manager')]);
    const outbound = given([c.queued('01:00', 'manager'), c.opened('01:01', 'auto', 'user'), c.queued('01:02', 'user')]);
    expect(lastRecord(inbound).direction).toBe('INBOUND');
    expect(lastRecord(outbound).direction).toBe('OUTBOUND');
  });

  it('is decided again for each case', () => {
    const c = chat();
    const state = given([c.queued('01:00', 'manager'), c.closed('01:10'), c.queued('03:00', 'user')]);
    expect(recordsOf(state).map((r) => r.direction)).toEqual(['OUTBOUND', 'INBOUND']);
  });
});

describe('userChatState', () => {
  it('follows queued, opened, snoozed, unsnoozed, missed and closed', () => {
    const c = chat();
    const steps = [
      [c.queued('01:00'), 'queued'],
      [c.opened('01:01'), 'open'],
      [c.snoozed('01:02'), 'snoozed'],
      [c.unsnoozed('01:03'), 'open'],
      [c.missed('01:04'), 'missed'],
      [c.queued('01:05'), 'queued'],
      [c.snoozed('01:06'), 'snoozed'],
      [c.opened('01:07'), 'open'],
      [c.user('01:08'), 'open'],
      [c.team('01:09', { id: 't-1', name: 'CS' }), 'open'],
      [c.closed('01:10'), 'closed'],
    ] as const;
    let state = given([c.created('00:59')]);
    for (const [event, expected] of steps) {
      state = evolve(state, event);
      expect(lastRecord(state).userChatState, event.type).toBe(expected);
    }
  });

  it('is frozen at completion, and the case before a new one keeps "closed"', () => {
    const c = chat();
    const state = given([c.opened('01:00'), c.closed('01:10'), c.queued('01:20'), c.opened('01:21')]);
    expect(recordsOf(state).map((r) => [r.userChatState, r.userChatCaseState])).toEqual([
      ['closed', 'completed'],
      ['open', 'inProgress'],
    ]);
  });
});

describe('a case stays in progress while open, however long', () => {
  it('an open case is never completed by time', () => {
    const c = chat();
    const state = given([c.opened('01:00'), c.user('2025-07-09T00:00:00Z')]);
    expect(lastRecord(state)).toMatchObject({ userChatCaseState: 'inProgress', userChatCaseUpdatedAt: at('2025-07-09T00:00:00Z') });
    expect(completeDue(state, at('2025-12-31T00:00:00Z'))).toBe(state);
  });

  it('the recording window is one hour of milliseconds', () => {
    const c = chat();
    const closed = given([c.opened('01:00'), c.closed('01:00:00.001')]);
    expect(completionDueAt(closed)).toBe(at('01:00:00.001') + 60 * MINUTE);
  });
});
