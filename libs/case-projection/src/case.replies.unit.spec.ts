import { describe, expect, it } from 'vitest';
import { at, chat, given, lastRecord, recordsOf } from './test-events';

// cases.md "Replies", firstRepliedAt, waitingTime, totalReplyTime, replyCount, avgReplyTime.

describe('replies', () => {
  const c = chat();
  const open = given([c.created('00:59'), c.opened('01:00', 'manual')]);

  it('a customer message starts a wait and the next manager message ends it: one reply', () => {
    const record = lastRecord(given([c.user('01:01'), c.manager('01:03')], open));
    expect(record).toMatchObject({
      replyCount: 1,
      totalReplyTime: 120,
      avgReplyTime: 120,
      firstRepliedAt: at('01:03'),
    });
  });

  it('further customer messages during a wait do not restart it', () => {
    const record = lastRecord(given([c.user('01:01'), c.user('01:02'), c.user('01:03:30'), c.manager('01:04')], open));
    expect(record).toMatchObject({ replyCount: 1, totalReplyTime: 180 });
  });

  it('a second manager message without a new wait is no reply', () => {
    const record = lastRecord(given([c.user('01:01'), c.manager('01:02'), c.manager('01:05'), c.manager('01:09')], open));
    expect(record).toMatchObject({ replyCount: 1, totalReplyTime: 60, firstRepliedAt: at('01:02') });
  });

  it('a manager message before any customer message is no reply', () => {
    const record = lastRecord(given([c.manager('01:01')], open));
    expect(record).toMatchObject({
      replyCount: 0,
      totalReplyTime: 0,
      avgReplyTime: null,
      firstRepliedAt: null,
      waitingTime: null,
    });
  });

  it('bot messages count for nothing: they neither start nor end a wait', () => {
    const botOnly = lastRecord(given([c.bot('01:01'), c.manager('01:02')], open));
    expect(botOnly).toMatchObject({ replyCount: 0, firstRepliedAt: null });

    const botInside = lastRecord(given([c.user('01:01'), c.bot('01:02'), c.manager('01:05')], open));
    expect(botInside).toMatchObject({ replyCount: 1, totalReplyTime: 240, firstRepliedAt: at('01:05') });
  });

  it('several replies add up, the first one stays firstRepliedAt', () => {
    const record = lastRecord(
      given([c.user('01:01'), c.manager('01:02'), c.user('01:10'), c.user('01:11'), c.manager('01:15'), c.user('01:20'), c.manager('01:20:30')], open),
    );
    expect(record).toMatchObject({
      replyCount: 3,
      totalReplyTime: 60 + 300 + 30,
      avgReplyTime: 130,
      firstRepliedAt: at('01:02'),
    });
  });

  it('closing the case drops an unanswered wait; it does not carry into the next case', () => {
    const closed = given([c.user('01:01'), c.manager('01:02'), c.user('01:10'), c.closed('01:20')], open);
    expect(lastRecord(closed)).toMatchObject({ replyCount: 1, totalReplyTime: 60 });

    const next = given([c.opened('01:30'), c.manager('01:31')], closed);
    expect(lastRecord(next)).toMatchObject({ userChatCase: 2, replyCount: 0, firstRepliedAt: null, totalReplyTime: 0 });
  });

  it('the next case counts its own replies from zero', () => {
    const state = given([c.user('01:01'), c.manager('01:02'), c.closed('01:20'), c.queued('03:00'), c.user('03:01'), c.manager('03:01:10')], open);
    expect(recordsOf(state).map((r) => [r.replyCount, r.totalReplyTime, r.firstRepliedAt])).toEqual([
      [1, 60, at('01:02')],
      [1, 10, at('03:01:10')],
    ]);
  });

  it('messages count in any state of an open case: queued, snoozed, missed', () => {
    const q = chat('uc-q');
    const record = lastRecord(
      given([
        q.created('00:59'),
        q.queued('01:00'),
        q.user('01:01'),
        q.manager('01:02'),
        q.snoozed('01:10'),
        q.user('01:11'),
        q.manager('01:13'),
        q.missed('01:20'),
        q.user('01:21'),
        q.manager('01:24'),
      ]),
    );
    expect(record).toMatchObject({ replyCount: 3, totalReplyTime: 60 + 120 + 180, firstRepliedAt: at('01:02') });
  });
});

describe('durations are added up in milliseconds, then floored to seconds', () => {
  const c = chat();
  const open = given([c.created('00:59'), c.opened('01:00')]);

  it('59.999 s is 59', () => {
    const record = lastRecord(given([c.user('01:01:00.000'), c.manager('01:01:59.999')], open));
    expect(record).toMatchObject({ totalReplyTime: 59, avgReplyTime: 59 });
  });

  it('two replies of 1.6 s are 3 s in total (not 1 + 1), average floor(3 / 2) = 1', () => {
    const record = lastRecord(
      given([c.user('01:01:00.000'), c.manager('01:01:01.600'), c.user('01:02:00.000'), c.manager('01:02:01.600')], open),
    );
    expect(record).toMatchObject({ replyCount: 2, totalReplyTime: 3, avgReplyTime: 1 });
  });

  it('the average is rounded down: 10 s and 11 s give 21 s, average 10', () => {
    const record = lastRecord(given([c.user('01:01:00'), c.manager('01:01:10'), c.user('01:02:00'), c.manager('01:02:11')], open));
    expect(record).toMatchObject({ totalReplyTime: 21, avgReplyTime: 10 });
  });

  it('a sub-second reply counts as a reply of 0 s', () => {
    const record = lastRecord(given([c.user('01:01:00.000'), c.manager('01:01:00.999')], open));
    expect(record).toMatchObject({ replyCount: 1, totalReplyTime: 0, avgReplyTime: 0, waitingTime: 60 });
  });
});

describe('firstRepliedAt and waitingTime', () => {
  it('waitingTime is firstRepliedAt − firstQueuedAt when queued before the opening', () => {
    const c = chat();
    const record = lastRecord(given([c.created('00:59'), c.queued('01:00'), c.user('01:01'), c.opened('01:05'), c.manager('01:06')]));
    expect(record).toMatchObject({ firstAskedAt: at('01:05'), firstRepliedAt: at('01:06'), waitingTime: 360 });
  });

  it('waitingTime is firstRepliedAt − firstOpenedAt when opened without a queue', () => {
    const c = chat();
    const record = lastRecord(given([c.created('00:59'), c.opened('01:00', 'manual'), c.user('01:02'), c.manager('01:03:30.500')]));
    expect(record).toMatchObject({ firstAskedAt: at('01:02'), waitingTime: 210 });
  });

  it('waitingTime uses the queue time when the case was never opened', () => {
    const c = chat();
    const record = lastRecord(given([c.created('00:59'), c.queued('01:00'), c.user('01:00:30'), c.manager('01:02:15')]));
    expect(record).toMatchObject({ firstOpenedAt: null, firstAskedAt: null, firstRepliedAt: at('01:02:15'), waitingTime: 135 });
  });

  it('waitingTime comes from the first reply only', () => {
    const c = chat();
    const record = lastRecord(
      given([c.created('00:59'), c.opened('01:00'), c.user('01:01'), c.manager('01:02'), c.user('01:30'), c.manager('01:59')]),
    );
    expect(record).toMatchObject({ firstRepliedAt: at('01:02'), waitingTime: 120 });
  });

  it('waitingTime is null without a reply', () => {
    const c = chat();
    const record = lastRecord(given([c.created('00:59'), c.opened('01:00'), c.user('01:01'), c.closed('01:30')]));
    expect(record).toMatchObject({ firstRepliedAt: null, waitingTime: null, replyCount: 0 });
  });

  it('firstRepliedAt is null for phoneNumber, though the replies still count', () => {
    const c = chat();
    const record = lastRecord(
      given([c.created('00:59', { medium: 'phoneNumber', senderName: '+8216444052' }), c.opened('01:00'), c.user('01:01'), c.manager('01:02')]),
    );
    expect(record).toMatchObject({ firstRepliedAt: null, waitingTime: null, replyCount: 1, totalReplyTime: 60 });
  });

  it.each(['email', 'appNaverTalk', 'appInstagramMessenger', 'appLine', 'appKakao'] as const)(
    'firstRepliedAt is set for the chat medium %s',
    (medium) => {
      const c = chat();
      const record = lastRecord(given([c.created('00:59', { medium }), c.opened('01:00'), c.user('01:01'), c.manager('01:02')]));
      expect(record.firstRepliedAt).toBe(at('01:02'));
    },
  );
});
