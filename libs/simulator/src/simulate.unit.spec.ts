import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, parseEvent } from '@casestats/events';
import { simulate } from './simulate';
import { wireKey } from './wire-event';

describe('simulator', () => {
  const events = [...simulate({ chats: 400, seed: 7 })];

  it('is deterministic for a seed and differs across seeds', () => {
    expect([...simulate({ chats: 400, seed: 7 })]).toEqual(events);
    expect([...simulate({ chats: 400, seed: 8 })]).not.toEqual(events);
  });

  it('passes the event contract, every event', () => {
    const invalid = events.map((e) => parseEvent(JSON.stringify(e))).filter((r) => !r.ok);
    expect(invalid).toEqual([]);
  });

  it('covers every event type, both versions, several channels and every medium', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
    expect(new Set(events.map((e) => e.version))).toEqual(new Set([1, 2]));
    expect(new Set(events.map((e) => e.channelId)).size).toBe(3);
    const media = new Set(
      events
        .filter((e) => e.type === 'userChat.created')
        .map((e) => (e.data.medium as { name?: string } | undefined)?.name ?? e.data.contactMediumType),
    );
    expect(media.size).toBe(7);
  });

  it('plays v1 only before 2025-07-17 and keeps each chat in time order', () => {
    for (const e of events) expect(e.version === 1).toBe(e.occurredAt < '2025-07-17');
    const last = new Map<string, string>();
    for (const e of events) {
      const key = wireKey(e);
      expect(e.occurredAt >= (last.get(key) ?? '')).toBe(true);
      last.set(key, e.occurredAt);
    }
  });

  it('includes reopens inside the hour, missed calls, holds and duplicates', () => {
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBeLessThan(ids.length);
    expect(events.some((e) => e.type === 'call.missed')).toBe(true);
    expect(events.some((e) => e.type === 'userChat.snoozed')).toBe(true);
    const closedAt = new Map<string, number>();
    let reopenedWithinHour = 0;
    for (const e of events) {
      const t = Date.parse(e.occurredAt);
      if (e.type === 'userChat.closed') closedAt.set(e.userChatId!, t);
      if ((e.type === 'userChat.queued' || e.type === 'userChat.opened') && closedAt.has(e.userChatId!)) {
        if (t - closedAt.get(e.userChatId!)! < 3_600_000) reopenedWithinHour++;
        closedAt.delete(e.userChatId!);
      }
    }
    expect(reopenedWithinHour).toBeGreaterThan(0);
  });
});
