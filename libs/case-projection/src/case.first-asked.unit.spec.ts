import { describe, expect, it } from 'vitest';
import { at, chat, given, lastRecord, recordsOf } from './test-events';

// cases.md "firstAskedAt": chat media by the first opening's assignment, phoneNumber by direction and missed calls.

describe('firstAskedAt, chat media, first opening auto: whichever of opening and first customer message came second', () => {
  const c = chat();
  const created = c.created('00:59', { medium: 'inAppChat' });

  it('message before the opening → the opening time', () => {
    const record = lastRecord(given([created, c.queued('01:00'), c.user('01:01'), c.user('01:02'), c.opened('01:05', 'auto')]));
    expect(record.firstAskedAt).toBe(at('01:05'));
  });

  it('opening before the message → the message time', () => {
    const record = lastRecord(given([created, c.opened('01:00', 'auto'), c.manager('01:01'), c.user('01:03'), c.user('01:04')]));
    expect(record.firstAskedAt).toBe(at('01:03'));
  });

  it('no customer message → null', () => {
    const record = lastRecord(given([created, c.opened('01:00', 'auto'), c.manager('01:01'), c.bot('01:02'), c.closed('01:10')]));
    expect(record.firstAskedAt).toBeNull();
  });

  it('bot and manager messages are not customer messages', () => {
    const record = lastRecord(given([created, c.queued('01:00'), c.bot('01:00:30'), c.opened('01:01', 'auto'), c.manager('01:02'), c.user('01:07')]));
    expect(record.firstAskedAt).toBe(at('01:07'));
  });

  it('a customer message sent before the case started does not count', () => {
    const record = lastRecord(given([created, c.user('00:59:30'), c.queued('01:00'), c.opened('01:01', 'auto'), c.user('01:04')]));
    expect(record.firstAskedAt).toBe(at('01:04'));
  });
});

describe('firstAskedAt, chat media, first opening manual: the first customer message after the first opening', () => {
  const c = chat();
  const created = c.created('00:59', { medium: 'appKakao', senderName: '@channel' });

  it('a message after the opening counts', () => {
    const record = lastRecord(given([created, c.opened('01:00', 'manual'), c.user('01:02'), c.user('01:03')]));
    expect(record.firstAskedAt).toBe(at('01:02'));
  });

  it('a message before the opening does not count: the next one after it does', () => {
    const record = lastRecord(given([created, c.queued('01:00'), c.user('01:01'), c.opened('01:05', 'manual'), c.user('01:07')]));
    expect(record.firstAskedAt).toBe(at('01:07'));
  });

  it('only a message before the opening → null', () => {
    const record = lastRecord(given([created, c.queued('01:00'), c.user('01:01'), c.opened('01:05', 'manual'), c.manager('01:06')]));
    expect(record.firstAskedAt).toBeNull();
  });

  it('a later auto opening does not turn the rule into auto: the first opening decides', () => {
    const record = lastRecord(given([created, c.queued('01:00'), c.user('01:01'), c.opened('01:05', 'manual'), c.opened('01:06', 'auto')]));
    expect(record.firstAskedAt).toBeNull();
  });

  it('without an opening there is none, whatever the messages', () => {
    const record = lastRecord(given([created, c.queued('01:00'), c.user('01:01'), c.user('01:05'), c.closed('01:10')]));
    expect(record.firstAskedAt).toBeNull();
  });
});

describe('firstAskedAt, once set, never changes', () => {
  const c = chat();

  it('not by a second opening nor by later messages (auto)', () => {
    const record = lastRecord(
      given([c.created('00:59'), c.queued('01:00'), c.user('01:01'), c.opened('01:02', 'auto'), c.snoozed('01:03'), c.opened('01:10', 'auto'), c.user('01:11')]),
    );
    expect(record.firstAskedAt).toBe(at('01:02'));
  });

  it('not by a second opening nor by later messages (manual)', () => {
    const record = lastRecord(
      given([c.created('00:59'), c.opened('01:00', 'manual'), c.user('01:01'), c.queued('01:05'), c.opened('01:06', 'auto'), c.user('01:07')]),
    );
    expect(record.firstAskedAt).toBe(at('01:01'));
  });

  it('not after the close, within the recording window', () => {
    const record = lastRecord(given([c.created('00:59'), c.opened('01:00', 'manual'), c.closed('01:10'), c.user('01:11')]));
    expect(record.firstAskedAt).toBeNull();
  });

  it('each case has its own', () => {
    const state = given([
      c.created('00:59'),
      c.opened('01:00', 'auto'),
      c.user('01:01'),
      c.closed('01:10'),
      c.user('01:20'),
      c.opened('01:30', 'auto'),
      c.user('01:35'),
    ]);
    expect(recordsOf(state).map((r) => r.firstAskedAt)).toEqual([at('01:01'), at('01:35')]);
  });
});

describe('firstAskedAt, phoneNumber', () => {
  const c = chat();
  const phone = c.created('00:59', { medium: 'phoneNumber', senderName: '+8216444052' });

  it('inbound, first opening auto, no missed call → firstOpenedAt', () => {
    const record = lastRecord(given([phone, c.queued('01:00'), c.opened('01:00:20', 'auto'), c.user('01:01')]));
    expect(record).toMatchObject({ direction: 'INBOUND', firstOpenedAt: at('01:00:20'), firstAskedAt: at('01:00:20') });
  });

  it('inbound opened auto directly → firstOpenedAt', () => {
    const record = lastRecord(given([phone, c.opened('01:00', 'auto')]));
    expect(record.firstAskedAt).toBe(at('01:00'));
  });

  it('outbound call → null', () => {
    const record = lastRecord(given([phone, c.opened('01:00', 'auto', 'manager'), c.user('01:01')]));
    expect(record).toMatchObject({ direction: 'OUTBOUND', firstAskedAt: null });
  });

  it('outbound, queued by a manager then opened auto → null', () => {
    const record = lastRecord(given([phone, c.queued('01:00', 'manager'), c.opened('01:01', 'auto', 'user')]));
    expect(record.firstAskedAt).toBeNull();
  });

  it('a call missed before the opening → null', () => {
    const record = lastRecord(given([phone, c.queued('01:00'), c.missed('01:01'), c.opened('01:05', 'auto')]));
    expect(record).toMatchObject({ missedCount: 1, firstAskedAt: null });
  });

  it('a call missed after the opening changes nothing', () => {
    const record = lastRecord(given([phone, c.queued('01:00'), c.opened('01:01', 'auto'), c.missed('01:05')]));
    expect(record).toMatchObject({ missedCount: 1, firstAskedAt: at('01:01') });
  });

  it('a call queued and assigned by hand (manual) → null, and customer messages do not set it', () => {
    const record = lastRecord(given([phone, c.queued('01:00'), c.opened('01:01', 'manual'), c.user('01:02')]));
    expect(record.firstAskedAt).toBeNull();
  });

  it('a missed call of an earlier case does not count against the next case', () => {
    const state = given([phone, c.queued('01:00'), c.missed('01:01'), c.closed('01:02'), c.queued('03:00'), c.opened('03:01', 'auto')]);
    expect(recordsOf(state).map((r) => r.firstAskedAt)).toEqual([null, at('03:01')]);
  });

  it('never opened → null', () => {
    const record = lastRecord(given([phone, c.queued('01:00'), c.user('01:01'), c.closed('01:05')]));
    expect(record.firstAskedAt).toBeNull();
  });
});
