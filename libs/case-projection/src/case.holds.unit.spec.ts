import { describe, expect, it } from 'vitest';
import { UserChatEvent } from '@casestats/events';
import { ChatEvents, at, chat, given, lastRecord, recordsOf } from './test-events';

// cases.md "Holds", totalSnoozedTime, snoozedCount, resolutionTime, leadTime, missedCount.

describe('holds', () => {
  const c = chat();
  const open = given([c.created('00:59'), c.opened('01:00')]);

  it('userChat.snoozed starts a hold and counts one; unsnoozed ends it and adds its length', () => {
    const record = lastRecord(given([c.snoozed('01:10', '02:00'), c.unsnoozed('01:40')], open));
    expect(record).toMatchObject({ snoozedCount: 1, totalSnoozedTime: 1800, userChatState: 'open' });
  });

  it('snoozed while already on hold counts nothing and does not restart the hold', () => {
    const record = lastRecord(given([c.snoozed('01:10'), c.snoozed('01:20'), c.snoozed('01:30'), c.unsnoozed('01:40')], open));
    expect(record).toMatchObject({ snoozedCount: 1, totalSnoozedTime: 1800 });
  });

  it.each<[string, (e: ChatEvents) => UserChatEvent, string]>([
    ['queued', (e) => e.queued('01:25'), 'queued'],
    ['opened', (e) => e.opened('01:25'), 'open'],
    ['unsnoozed', (e) => e.unsnoozed('01:25'), 'open'],
    ['call.missed', (e) => e.missed('01:25'), 'missed'],
    ['closed', (e) => e.closed('01:25'), 'closed'],
  ])('a hold ends at %s', (_name, end, state) => {
    const record = lastRecord(given([c.snoozed('01:10'), end(c)], open));
    expect(record).toMatchObject({ snoozedCount: 1, totalSnoozedTime: 900, userChatState: state });
  });

  it('messages and attribute events do not end a hold', () => {
    const record = lastRecord(
      given([c.snoozed('01:10'), c.user('01:12'), c.manager('01:13'), c.bot('01:14'), c.tags('01:15', ['x']), c.unsnoozed('01:30')], open),
    );
    expect(record).toMatchObject({ snoozedCount: 1, totalSnoozedTime: 1200 });
  });

  it('a hold that has not ended adds nothing', () => {
    const record = lastRecord(given([c.snoozed('01:10'), c.user('01:50'), c.team('01:55', { id: 't-1', name: 'CS' })], open));
    expect(record).toMatchObject({ snoozedCount: 1, totalSnoozedTime: 0, userChatState: 'snoozed' });
  });

  it('several holds add up in milliseconds, then floor: 0.6 s + 0.6 s = 1 s', () => {
    const record = lastRecord(
      given([c.snoozed('01:10:00.000'), c.unsnoozed('01:10:00.600'), c.snoozed('01:20:00.000'), c.unsnoozed('01:20:00.600')], open),
    );
    expect(record).toMatchObject({ snoozedCount: 2, totalSnoozedTime: 1 });
  });

  it('a hold of 59.999 s is 59 s', () => {
    const record = lastRecord(given([c.snoozed('01:10:00.000'), c.unsnoozed('01:10:59.999')], open));
    expect(record.totalSnoozedTime).toBe(59);
  });

  it('a hold started before the first opening counts, and ends at the opening', () => {
    const q = chat('uc-q');
    const record = lastRecord(given([q.queued('01:00'), q.snoozed('01:01'), q.opened('01:11')]));
    expect(record).toMatchObject({ snoozedCount: 1, totalSnoozedTime: 600, userChatState: 'open' });
  });

  it('holds are counted per case', () => {
    const state = given([c.snoozed('01:10'), c.unsnoozed('01:20'), c.closed('01:30'), c.opened('03:00'), c.snoozed('03:05')], open);
    expect(recordsOf(state).map((r) => [r.snoozedCount, r.totalSnoozedTime])).toEqual([
      [1, 600],
      [1, 0],
    ]);
  });

  it('a snooze after the close is ignored', () => {
    const record = lastRecord(given([c.closed('01:30'), c.snoozed('01:31'), c.unsnoozed('01:40')], open));
    expect(record).toMatchObject({ snoozedCount: 0, totalSnoozedTime: 0, userChatState: 'closed' });
  });
});

describe('resolutionTime and leadTime', () => {
  it('resolutionTime is closedAt − firstOpenedAt; leadTime takes the holds off', () => {
    const c = chat();
    const record = lastRecord(given([c.created('00:59'), c.queued('00:59:30'), c.opened('01:00'), c.snoozed('01:10'), c.unsnoozed('01:40'), c.closed('02:00')]));
    expect(record).toMatchObject({ resolutionTime: 3600, totalSnoozedTime: 1800, leadTime: 1800 });
  });

  it('resolutionTime is floored from milliseconds', () => {
    const c = chat();
    const record = lastRecord(given([c.opened('01:00:00.001'), c.closed('01:01:00.000')]));
    expect(record).toMatchObject({ resolutionTime: 59, leadTime: 59 });
  });

  it('leadTime is never below 0 (holds before the opening can outlast the resolution)', () => {
    const c = chat();
    const record = lastRecord(given([c.queued('01:00'), c.snoozed('01:01'), c.opened('01:50'), c.closed('01:55')]));
    expect(record).toMatchObject({ resolutionTime: 300, totalSnoozedTime: 2940, leadTime: 0 });
  });

  it('leadTime is resolution − seconds(total hold), so a 0.5 s hold does not move it', () => {
    const c = chat();
    const record = lastRecord(given([c.opened('01:00'), c.snoozed('01:10:00.000'), c.unsnoozed('01:10:00.500'), c.closed('01:20')]));
    expect(record).toMatchObject({ resolutionTime: 1200, totalSnoozedTime: 0, leadTime: 1200 });
  });

  it('both are null while the case is open', () => {
    const c = chat();
    const record = lastRecord(given([c.opened('01:00'), c.snoozed('01:10'), c.unsnoozed('01:20')]));
    expect(record).toMatchObject({ closedAt: null, resolutionTime: null, leadTime: null, totalSnoozedTime: 600 });
  });

  it('both are null for a case closed without an opening; the holds still count', () => {
    const c = chat();
    const record = lastRecord(given([c.queued('01:00'), c.snoozed('01:05'), c.closed('01:15')]));
    expect(record).toMatchObject({
      firstOpenedAt: null,
      closedAt: at('01:15'),
      resolutionTime: null,
      leadTime: null,
      totalSnoozedTime: 600,
      snoozedCount: 1,
    });
  });
});

describe('missedCount', () => {
  it('counts call.missed events of the open case', () => {
    const c = chat();
    const phone = c.created('00:59', { medium: 'phoneNumber', senderName: '+8216444052' });
    const record = lastRecord(given([phone, c.queued('01:00'), c.missed('01:01'), c.queued('01:05'), c.missed('01:06'), c.opened('01:10')]));
    expect(record).toMatchObject({ missedCount: 2, userChatState: 'open' });
  });

  it('ignores missed calls before the case and after its close, and counts per case', () => {
    const c = chat();
    const state = given([
      c.created('00:59', { medium: 'phoneNumber' }),
      c.missed('00:59:30'),
      c.queued('01:00'),
      c.missed('01:01'),
      c.closed('01:10'),
      c.missed('01:20'),
      c.queued('03:00'),
    ]);
    expect(recordsOf(state).map((r) => r.missedCount)).toEqual([1, 0]);
  });
});
