import { describe, expect, it } from 'vitest';
import { CaseStatsEvent } from '@casestats/events';
import { BatchState, UserState, afterInCodePoints, chatKey, evolveUser, initialUserState, projectBatch, toCaseRecord, userKey, userName } from './index';
import { at, chat, given, userUpdated } from './test-events';

// export.md "User data" (name and profile), and projectBatch's duplicate handling.

const empty = (): BatchState => ({ chats: new Map(), users: new Map(), applied: new Set() });

/** The users of channel ch-1 after a batch, by user id. */
function usersAfter(events: CaseStatsEvent[], before: BatchState = empty()) {
  const users = new Map(projectBatch(events, before).users.map((u) => [u.userId, u]));
  return {
    get(userId: string): UserState {
      const user = users.get(userId);
      if (!user) throw new Error(`no user ${userId}`);
      return user;
    },
  };
}

describe('the user name', () => {
  it('comes from userChat.created when no user.updated carried one', () => {
    const users = usersAfter([chat('uc-1').created('00:59', { user: { id: 'u-1', name: '김민수' } })]);
    expect(userName(users.get('u-1'))).toBe('김민수');
  });

  it('is the one of the last user.updated that carried a name, whatever chats come later', () => {
    const users = usersAfter([
      chat('uc-1').created('00:59', { user: { id: 'u-1', name: 'From chat' } }),
      userUpdated('01:00', { id: 'u-1', name: 'First' }),
      userUpdated('01:01', { id: 'u-1', name: 'Second' }),
      userUpdated('01:02', { id: 'u-1', profile: { email: 'a@example.com' } }),
      chat('uc-2').created('02:00', { user: { id: 'u-1', name: 'Newer chat' } }),
    ]);
    expect(userName(users.get('u-1'))).toBe('Second');
  });

  it('otherwise comes from the most recently created chat, also when creations arrive out of order', () => {
    const older = chat('uc-old').created('01:00', { user: { id: 'u-1', name: 'Old' } });
    const newer = chat('uc-new').created('02:00', { user: { id: 'u-1', name: 'New' } });
    expect(userName(usersAfter([older, newer]).get('u-1'))).toBe('New');
    expect(userName(usersAfter([newer, older]).get('u-1'))).toBe('New');
  });

  it('breaks a tie of creation times by the larger userChatId', () => {
    const a = chat('uc-a').created('01:00', { user: { id: 'u-1', name: 'A' } });
    const b = chat('uc-b').created('01:00', { user: { id: 'u-1', name: 'B' } });
    expect(userName(usersAfter([a, b]).get('u-1'))).toBe('B');
    expect(userName(usersAfter([b, a]).get('u-1'))).toBe('B');
  });

  it('compares tied chat ids by code point, as the store does: a character beyond U+FFFF is larger than U+FF21', () => {
    const astral = chat('uc-\u{1F600}').created('01:00', { user: { id: 'u-1', name: 'Astral' } });
    const wide = chat('uc-\uFF21').created('01:00', { user: { id: 'u-1', name: 'Wide' } });
    expect(userName(usersAfter([astral, wide]).get('u-1'))).toBe('Astral');
    expect(userName(usersAfter([wide, astral]).get('u-1'))).toBe('Astral');
    expect(['uc-\u{1F600}', 'uc-\uFF21', 'uc-\uFF21x', 'uc-'].map((a) => ['uc-\uFF21', 'uc-\u{1F600}'].map((b) => afterInCodePoints(a, b)))).toEqual([
      [true, false],
      [false, false],
      [true, false],
      [false, false],
    ]);
  });

  it('is null for a user known only from a user.updated without a name', () => {
    const users = usersAfter([userUpdated('01:00', { id: 'u-9', profile: { tier: 'gold' } })]);
    expect(userName(users.get('u-9'))).toBeNull();
  });

  it('carries over between batches', () => {
    const first = projectBatch([userUpdated('01:00', { id: 'u-1', name: 'Kept' })], empty());
    const before: BatchState = { ...empty(), users: new Map(first.users.map((u) => [userKey(u.channelId, u.userId), u])) };
    const users = usersAfter([chat('uc-9').created('03:00', { user: { id: 'u-1', name: 'Chat' } })], before);
    expect(userName(users.get('u-1'))).toBe('Kept');
  });
});

describe('the user profile', () => {
  it('applies user.updated merge patches in order; null removes a key', () => {
    const users = usersAfter([
      userUpdated('01:00', { id: 'u-1', profile: { email: 'a@example.com', tier: 'gold', age: 30 } }),
      userUpdated('01:01', { id: 'u-1', profile: { tier: null, age: 31, vip: true } }),
    ]);
    expect(users.get('u-1').profile).toEqual({ email: 'a@example.com', age: 31, vip: true });
  });

  it('is not touched by userChat.created nor by the chat profile', () => {
    const c = chat('uc-1');
    const users = usersAfter([
      userUpdated('00:58', { id: 'u-1', profile: { email: 'a@example.com' } }),
      c.created('00:59', { user: { id: 'u-1', name: 'A' } }),
      c.profile('01:00', { csat: 5 }),
    ]);
    expect(users.get('u-1').profile).toEqual({ email: 'a@example.com' });
  });

  it('evolveUser is pure: the state it was given does not change', () => {
    const user = initialUserState('ch-1', 'u-1');
    const next = evolveUser(user, userUpdated('01:00', { id: 'u-1', name: 'X', profile: { a: 1 } }));
    expect(user).toEqual(initialUserState('ch-1', 'u-1'));
    expect(next).toMatchObject({ updatedName: 'X', profile: { a: 1 } });
  });
});

describe('users and chats are per channel', () => {
  it('the same user id in two channels are two users; the same chat id in two channels are two chats', () => {
    const one = chat('uc-1', 'ch-1');
    const two = chat('uc-1', 'ch-2');
    const out = projectBatch(
      [
        one.created('00:59', { user: { id: 'u-1', name: 'One' } }),
        two.created('00:59', { user: { id: 'u-1', name: 'Two' } }),
        userUpdated('01:00', { id: 'u-1', name: 'Renamed in 2' }, 'ch-2'),
        one.queued('01:00'),
      ],
      empty(),
    );
    expect(out.users.map((u) => [u.channelId, userName(u)]).sort()).toEqual([
      ['ch-1', 'One'],
      ['ch-2', 'Renamed in 2'],
    ]);
    expect(out.chats.map((ch) => [ch.channelId, ch.cases.length]).sort()).toEqual([
      ['ch-1', 1],
      ['ch-2', 0],
    ]);
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
      users: new Map(first.users.map((u) => [userKey(u.channelId, u.userId), u])),
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
      users: new Map(),
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
      users: new Map(),
      applied: new Set(),
    });
    expect(out.cases).toEqual([]);
    expect(out.appliedIds).toHaveLength(2);
  });
});
