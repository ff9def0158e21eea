import { describe, expect, it } from 'vitest';
import { UserChatEvent, parseEvent } from '@casestats/events';
import { CaseRecord, chatKey, projectBatch, toCaseRecord } from './index';
import { ChatEvents, at, chat, given, lastRecord, recordsOf } from './test-events';

// cases.md lifecycle 3–4 for attribute events, and the attribute fields of the record.

type Attribute = [name: string, event: (e: ChatEvents, time: string) => UserChatEvent, fields: Partial<CaseRecord>];

const ATTRIBUTES: Attribute[] = [
  ['team', (e, t) => e.team(t, { id: 't-1', name: 'CS 1팀' }), { teamId: 't-1', teamName: 'CS 1팀' }],
  ['assignee', (e, t) => e.assignee(t, { id: 'm-1', name: '이상담' }), { assigneeId: 'm-1', assigneeName: '이상담' }],
  [
    'followers',
    (e, t) => e.followers(t, [{ id: 'm-1', name: 'A' }, { id: 'm-2', name: 'B' }]),
    { managerIds: 'm-1, m-2', managerNames: 'A, B' },
  ],
  ['tags', (e, t) => e.tags(t, ['환불', 'vip']), { tags: '환불, vip' }],
  ['profile / CSAT', (e, t) => e.profile(t, { csat: 5, csatComment: 'good' }), { profile: { csat: 5, csatComment: 'good' } }],
  ['description', (e, t) => e.description(t, '배송 문의'), { description: '배송 문의' }],
  ['summary', (e, t) => e.summary(t, 'AI 요약'), { summarizedMessage: 'AI 요약' }],
  ['priority', (e, t) => e.priority(t, 'high'), { priority: 'high' }],
  ['workflow', (e, t) => e.workflow(t, 'wf-1'), { workflowId: 'wf-1' }],
];

describe('attribute events', () => {
  const c = chat();
  const open = given([c.created('00:59'), c.opened('01:00')]);
  const closed = given([c.closed('01:30')], open);

  it.each(ATTRIBUTES)('%s: updates the open case and its updatedAt', (_name, event, fields) => {
    expect(lastRecord(given([event(c, '01:10')], open))).toMatchObject({ ...fields, userChatCaseUpdatedAt: at('01:10') });
  });

  it.each(ATTRIBUTES)('%s: updates a closed case within the hour, which stays inProgress', (_name, event, fields) => {
    const record = lastRecord(given([event(c, '02:00')], closed));
    expect(record).toMatchObject({ ...fields, userChatCaseState: 'inProgress', userChatCaseUpdatedAt: at('02:00'), userChatState: 'closed' });
  });

  it.each(ATTRIBUTES)('%s: after completion, changes only the chat, and the next case starts with it', (_name, event, fields) => {
    const state = given([event(c, '02:30'), c.queued('04:00')], closed);
    const [first, second] = recordsOf(state);
    const untouched = lastRecord(given([c.bot('02:30')], closed));
    expect(first).toEqual(untouched);
    expect(first.userChatCaseUpdatedAt).toBe(at('02:30'));
    expect(second).toMatchObject(fields);
  });

  it.each(ATTRIBUTES)('%s: before the first case, it goes to the chat and into the first case', (_name, event, fields) => {
    const d = chat('uc-2');
    const state = given([d.created('00:59'), event(d, '00:59:30')]);
    expect(state.cases).toEqual([]);
    expect(lastRecord(given([d.queued('01:00')], state))).toMatchObject({ ...fields, userChatCaseUpdatedAt: at('01:00') });
  });

  it('a change after the next case started does not reach the completed case', () => {
    const state = given([c.opened('01:40'), c.tags('01:41', ['new'])], closed);
    expect(recordsOf(state).map((r) => [r.tags, r.userChatCaseState, r.userChatCaseUpdatedAt])).toEqual([
      [null, 'completed', at('01:40')],
      ['new', 'inProgress', at('01:41')],
    ]);
  });
});

describe('attribute values', () => {
  const c = chat();
  const open = given([c.created('00:59'), c.opened('01:00')]);

  it('team and assignee set to null are empty', () => {
    const record = lastRecord(
      given([c.team('01:01', { id: 't-1', name: 'CS' }), c.assignee('01:02', { id: 'm-1', name: 'A' }), c.team('01:03', null), c.assignee('01:04', null)], open),
    );
    expect(record).toMatchObject({ teamId: null, teamName: null, assigneeId: null, assigneeName: null });
  });

  it('followers and tags are full lists: the last one replaces, order kept; an empty list is null', () => {
    const replaced = lastRecord(
      given([c.followers('01:01', [{ id: 'm-1', name: 'A' }]), c.followers('01:02', [{ id: 'm-3', name: 'C' }, { id: 'm-2', name: 'B' }]), c.tags('01:03', ['a']), c.tags('01:04', ['z', 'a'])], open),
    );
    expect(replaced).toMatchObject({ managerIds: 'm-3, m-2', managerNames: 'C, B', tags: 'z, a' });

    const emptied = lastRecord(given([c.followers('01:05', []), c.tags('01:06', [])], given([c.followers('01:01', [{ id: 'm-1', name: 'A' }]), c.tags('01:02', ['a'])], open)));
    expect(emptied).toMatchObject({ managerIds: null, managerNames: null, tags: null });
  });

  it('description, summary and priority take the last value; null clears description and priority', () => {
    const record = lastRecord(
      given([c.description('01:01', 'a'), c.description('01:02', null), c.summary('01:03', 's1'), c.summary('01:04', 's2'), c.priority('01:05', 'high'), c.priority('01:06', null)], open),
    );
    expect(record).toMatchObject({ description: null, summarizedMessage: 's2', priority: null });
  });

  it('priority from userChat.created, then changed', () => {
    const d = chat('uc-p');
    const state = given([d.created('00:59', { priority: 'low' }), d.queued('01:00')]);
    expect(lastRecord(state).priority).toBe('low');
    expect(lastRecord(given([d.priority('01:01', 'urgent')], state)).priority).toBe('urgent');
  });

  it('the profile is a merge patch: null removes a key, other keys stay', () => {
    const record = lastRecord(
      given([c.profile('01:01', { csat: 4, grade: 'vip', orderNo: 'A-1' }), c.profile('01:02', { csatComment: '친절', grade: null, orderNo: 'A-2' })], open),
    );
    expect(record.profile).toEqual({ csat: 4, csatComment: '친절', orderNo: 'A-2' });
  });

  it('a CSAT from an earlier case stays in the next case until changed', () => {
    const state = given(
      [c.closed('01:30'), c.profile('01:40', { csat: 5, csatComment: 'good' }), c.queued('03:00'), c.closed('03:10'), c.queued('05:00'), c.profile('05:01', { csat: 2 })],
      open,
    );
    expect(recordsOf(state).map((r) => r.profile)).toEqual([
      { csat: 5, csatComment: 'good' },
      { csat: 5, csatComment: 'good' },
      { csat: 2, csatComment: 'good' },
    ]);
  });

  it('workflowId is the first workflow of the whole chat, not of the case', () => {
    const d = chat('uc-w');
    const state = given([
      d.created('00:59'),
      d.queued('01:00'),
      d.closed('01:10'),
      d.workflow('01:20', 'wf-1'),
      d.workflow('01:21', 'wf-2'),
      d.queued('03:00'),
      d.workflow('03:01', 'wf-3'),
    ]);
    expect(recordsOf(state).map((r) => r.workflowId)).toEqual(['wf-1', 'wf-1']);
  });

  it('a later workflow still bumps updatedAt of the case in progress (taken in, changing nothing)', () => {
    const state = given([c.workflow('01:01', 'wf-1'), c.workflow('01:05', 'wf-2')], open);
    expect(lastRecord(state)).toMatchObject({ workflowId: 'wf-1', userChatCaseUpdatedAt: at('01:05') });
  });

  it('the fields of userChat.created: user, createdAt, medium, page, marketing', () => {
    const d = chat('uc-c');
    const record = lastRecord(
      given([
        d.created('00:58:30.250', {
          user: { id: 'u-9', name: 'Lee' },
          medium: 'appLine',
          senderName: '@channel.io',
          page: 'https://shop.example/p/2',
          marketing: { type: 'oneTimeMsg', id: 'mk-1' },
        }),
        d.queued('01:00'),
      ]),
    );
    expect(record).toMatchObject({
      userId: 'u-9',
      userName: 'Lee',
      createdAt: at('00:58:30.250'),
      mediumName: 'appLine',
      mediumSenderName: '@channel.io',
      page: 'https://shop.example/p/2',
      marketingType: 'oneTimeMsg',
      marketingId: 'mk-1',
    });
  });

  it('email has no sender name; a chat without marketing or page has them null', () => {
    const d = chat('uc-e');
    const record = lastRecord(given([d.created('00:59', { medium: 'email' }), d.queued('01:00')]));
    expect(record).toMatchObject({ mediumName: 'email', mediumSenderName: null, marketingType: null, marketingId: null, page: null });
  });
});

describe('version-1 userChat.created, upcast by the parser', () => {
  const parsed = (line: object): UserChatEvent => {
    const result = parseEvent(JSON.stringify(line));
    if (!result.ok) throw new Error(result.error.reason);
    return result.event as UserChatEvent;
  };
  const envelope = { channelId: 'ch-1', userChatId: 'uc-v1' };

  it('gives mediumName from contactMediumType and mediumSenderName from appMessenger', () => {
    const events = [
      parsed({ ...envelope, id: 'v1-1', type: 'userChat.created', occurredAt: '2025-07-01T00:59:00.000Z', data: { user: { id: 'u-1', name: 'A' }, contactMediumType: 'appNaverTalk', appMessenger: 'app-123' } }),
      parsed({ ...envelope, id: 'v1-2', type: 'userChat.queued', version: 1, occurredAt: '2025-07-01T01:00:00.000Z', data: {} }),
    ];
    expect(lastRecord(given(events))).toMatchObject({ mediumName: 'appNaverTalk', mediumSenderName: 'app-123', direction: 'INBOUND' });
  });

  it('without appMessenger, mediumSenderName is null; a v1 phone chat follows the phone rules', () => {
    const events = [
      parsed({ ...envelope, id: 'v1-1', type: 'userChat.created', version: 1, occurredAt: '2025-07-01T00:59:00.000Z', data: { user: { id: 'u-1', name: 'A' }, contactMediumType: 'phoneNumber' } }),
      parsed({ ...envelope, id: 'v1-2', type: 'userChat.opened', occurredAt: '2025-07-01T01:00:00.000Z', data: { assignment: 'auto' } }),
      parsed({ ...envelope, id: 'v1-3', type: 'message.created', occurredAt: '2025-07-01T01:00:10.000Z', data: { personType: 'user' } }),
      parsed({ ...envelope, id: 'v1-4', type: 'message.created', occurredAt: '2025-07-01T01:00:20.000Z', data: { personType: 'manager' } }),
    ];
    expect(lastRecord(given(events))).toMatchObject({
      mediumName: 'phoneNumber',
      mediumSenderName: null,
      firstAskedAt: at('01:00'),
      firstRepliedAt: null,
      replyCount: 1,
    });
  });
});

describe('user.updated never changes case records', () => {
  it('a batch of only user.updated changes no chat and no case', () => {
    const c = chat();
    const open = given([c.created('00:59'), c.opened('01:00')]);
    const out = projectBatch(
      [{ id: 'uu-1', type: 'user.updated', occurredAt: at('01:05'), channelId: 'ch-1', data: { user: { id: 'u-1', name: 'Renamed', profile: { csat: 1 } } } }],
      { chats: new Map([[chatKey('ch-1', 'uc-1'), open]]), applied: new Set() },
    );
    expect(out.chats).toEqual([]);
    expect(out.cases).toEqual([]);
    expect(out.userEvents).toHaveLength(1);
    expect(toCaseRecord(open, open.cases[0])).toMatchObject({ userName: '김민수', profile: {} });
  });
});
