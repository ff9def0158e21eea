import { describe, expect, it } from 'vitest';
import { BatchState, chatKey, evolveUser, initialUserState, projectBatch, projectUsers, toCaseRecord, userKey, usersOfBatch } from './index';
import { at, chat, given, userUpdated } from './test-events';

// export.md "User data": what user.updated makes of a user (name, profile), and projectBatch's
// duplicate handling. The chat name ("newest chat wins") is the store's merge: its tests run
// against PostgreSQL (libs/read-model/src/user.repository.int.spec.ts).

const empty = (): BatchState => ({ chats: new Map(), applied: new Set() });
const fold = (...events: ReturnType<typeof userUpdated>[]) => events.reduce(evolveUser, initialUserState('ch-1', 'u-1'));

describe('user.updated', () => {
  it('sets the name of the last one that carried a name; one without a name keeps it', () => {
    const user = fold(
      userUpdated('01:00', { id: 'u-1', name: 'First' }),
      userUpdated('01:01', { id: 'u-1', name: 'Second' }),
      userUpdated('01:02', { id: 'u-1', profile: { email: 'a@example.com' } }),
    );
    expect(user).toMatchObject({ updatedName: 'Second', profile: { email: 'a@example.com' } });
  });

  it('applies merge patches to the profile in order; null removes a key', () => {
    const user = fold(
      userUpdated('01:00', { id: 'u-1', profile: { email: 'a@example.com', tier: 'gold', age: 30 } }),
      userUpdated('01:01', { id: 'u-1', profile: { tier: null, age: 31, vip: true } }),
    );
    expect(user).toEqual({ channelId: 'ch-1', userId: 'u-1', updatedName: null, profile: { email: 'a@example.com', age: 31, vip: true } });
  });

  it('evolveUser is pure: the state it was given does not change', () => {
    const user = initialUserState('ch-1', 'u-1');
    const next = evolveUser(user, userUpdated('01:00', { id: 'u-1', name: 'X', profile: { a: 1 } }));
    expect(user).toEqual(initialUserState('ch-1', 'u-1'));
    expect(next).toMatchObject({ updatedName: 'X', profile: { a: 1 } });
  });
});

describe("a batch's users: usersOfBatch and projectUsers", () => {
  const c = chat('uc-1');
  const d = chat('uc-2');
  const created = [c.created('00:59', { user: { id: 'u-1', name: 'A' } }), d.created('00:58', { user: { id: 'u-1', name: 'B' } })];
  const updates = [userUpdated('01:00', { id: 'u-1', name: 'X' }), userUpdated('01:01', { id: 'u-2', profile: { k: 1 } }), userUpdated('01:02', { id: 'u-2', name: 'Y' })];

  it('hands the store every chat a userChat.created names, and each user touched only by user.updated once', () => {
    const { chats, updated } = usersOfBatch([...created, ...updates]);
    expect(chats).toEqual([
      { channelId: 'ch-1', userId: 'u-1', chat: { id: 'uc-1', name: 'A', createdAt: at('00:59') } },
      { channelId: 'ch-1', userId: 'u-1', chat: { id: 'uc-2', name: 'B', createdAt: at('00:58') } },
      { channelId: 'ch-1', userId: 'u-2', chat: null },
    ]);
    expect([...updated]).toEqual([userKey('ch-1', 'u-1'), userKey('ch-1', 'u-2')]);
  });

  it('folds each user.updated once onto its stored user, skipping the ids already applied to it', () => {
    const stored = new Map([[userKey('ch-1', 'u-2'), { ...initialUserState('ch-1', 'u-2'), profile: { k: 0, j: 2 } }]]);
    const out = projectUsers(updates, stored, new Set([updates[0].id]));
    expect(out.duplicates).toBe(1);
    expect(out.users).toEqual([{ channelId: 'ch-1', userId: 'u-2', updatedName: 'Y', profile: { k: 1, j: 2 } }]);
    expect(out.userEventIds).toEqual(new Map([[userKey('ch-1', 'u-2'), [updates[1].id, updates[2].id]]]));
  });
});

describe('projectBatch: at-least-once delivery', () => {
  const c = chat('uc-1');

  it('applies a repeated id within a batch once, counts it as a duplicate', () => {
    const [created, opened, user, reply] = [c.created('00:59'), c.opened('01:00'), c.user('01:01'), c.manager('01:02')];
    const out = projectBatch([created, opened, user, user, reply, { ...reply, occurredAt: at('01:30') }], empty());
    expect(out.duplicates).toBe(2);
    expect(out.appliedIds).toEqual([created.id, opened.id, user.id, reply.id]);
    const [changed] = out.cases;
    expect(toCaseRecord(changed.chat, changed.case)).toMatchObject({ replyCount: 1, totalReplyTime: 60, userChatCaseUpdatedAt: at('01:02') });
  });

  it('skips ids already applied by an earlier batch (before.applied), whatever they carry', () => {
    const d = chat('uc-2');
    const created = d.created('00:59');
    const opened = d.opened('01:00');
    const first = projectBatch([created, opened], empty());
    const before: BatchState = {
      chats: new Map(first.chats.map((ch) => [chatKey(ch.channelId, ch.userChatId), ch])),
      applied: new Set(first.appliedIds),
    };
    const closed = d.closed('01:10');
    const out = projectBatch([opened, { ...created, data: { ...created.data, user: { id: 'u-1', name: 'Other' } } }, closed], before);
    expect(out.duplicates).toBe(2);
    expect(out.appliedIds).toEqual([closed.id]);
    expect(out.cases.map(({ chat: ch, case: cs }) => toCaseRecord(ch, cs))).toMatchObject([
      { userChatCaseId: 'uc-2-1', closedAt: at('01:10'), userName: '김민수', userChatCaseUpdatedAt: at('01:10') },
    ]);
  });

  it('reports every changed case in its latest version: the one the next case completed and the new one', () => {
    const d = chat('uc-3');
    const before = given([d.created('00:59'), d.opened('01:00'), d.closed('01:10')]);
    const out = projectBatch([d.queued('01:20'), d.user('01:21')], {
      chats: new Map([[chatKey('ch-1', 'uc-3'), before]]),
      applied: new Set(),
    });
    expect(out.cases.map(({ chat: ch, case: cs }) => toCaseRecord(ch, cs)).map((r) => [r.userChatCaseId, r.userChatCaseState, r.userChatCaseUpdatedAt])).toEqual([
      ['uc-3-1', 'completed', at('01:20')],
      ['uc-3-2', 'inProgress', at('01:21')],
    ]);
  });

  it('reports no case for a batch of ignored events', () => {
    const d = chat('uc-4');
    const before = given([d.created('00:59')]);
    const out = projectBatch([d.user('01:00'), d.closed('01:01')], {
      chats: new Map([[chatKey('ch-1', 'uc-4'), before]]),
      applied: new Set(),
    });
    expect(out.cases).toEqual([]);
    expect(out.appliedIds).toHaveLength(2);
  });
});
