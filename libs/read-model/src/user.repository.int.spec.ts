import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStatsEvent, ProfilePatch, ProfileValue, parseEvent } from '@casestats/events';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { TEST_PG_ADMIN_URL, databaseUrl, expectedUsers, scenarioLines } from '@casestats/testing';
import { applyBatch } from '@casestats/projection-write';
import { createDataSource, migrate } from './database';

// export.md "User data": `name` is the one set by the last `user.updated` that carried a name;
// without one, the name in the `userChat.created` of the user's most recently created chat (ties
// broken by the larger userChatId); the profile is the `user.updated` merge patches in order.
// Everything here runs the production path, applyBatch into PostgreSQL, against that rule.

const SCHEMA = 'proj_1';
const DAY = Date.parse('2025-07-09T00:00:00Z');
const MINUTE = 60_000;

/**
 * A database whose own text order is en-US (ICU), not code points, as a production database's may
 * be: the rule's ties must not lean on it.
 */
async function createEnUsDatabase(): Promise<{ dataSource: DataSource; drop(): Promise<void> }> {
  const name = `cs_users_${Date.now().toString(36)}_${process.pid}`;
  const admin = async (text: string) => {
    const c = new Client({ connectionString: TEST_PG_ADMIN_URL });
    await c.connect();
    await c.query(text).finally(() => c.end());
  };
  await admin(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
  const dataSource = createDataSource(databaseUrl(name));
  await dataSource.initialize();
  await migrate(dataSource);
  return { dataSource, drop: () => dataSource.destroy().finally(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

let db: Awaited<ReturnType<typeof createEnUsDatabase>>;
beforeAll(async () => {
  db = await createEnUsDatabase();
});
afterAll(async () => {
  await db?.drop();
});

let seq = 0;
function wire(json: object): CaseStatsEvent {
  const parsed = parseEvent(JSON.stringify({ id: `e-${++seq}`, version: 2, ...json }));
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.event;
}
const atMinute = (minute: number) => new Date(DAY + minute * MINUTE).toISOString();

function created(channelId: string, userChatId: string, user: { id: string; name: string }, minute: number): CaseStatsEvent {
  return wire({ type: 'userChat.created', occurredAt: atMinute(minute), channelId, userChatId, data: { user, medium: { name: 'inAppChat' } } });
}
function updated(channelId: string, user: { id: string; name?: string; profile?: ProfilePatch }, minute: number): CaseStatsEvent {
  return wire({ type: 'user.updated', occurredAt: atMinute(minute), channelId, data: { user } });
}
function chatEvent(channelId: string, userChatId: string, type: string, minute: number, data: object = {}): CaseStatsEvent {
  return wire({ type, occurredAt: atMinute(minute), channelId, userChatId, data });
}

interface StoredUser {
  user_id: string;
  updated_name: string | null;
  chat_name: string | null;
  chat_id: string | null;
  chat_created_at: number | null;
  profile: Record<string, ProfileValue>;
}

async function storedUsers(channelId: string): Promise<StoredUser[]> {
  const rows: (Omit<StoredUser, 'chat_created_at'> & { chat_created_at: Date | null })[] = await db.dataSource.query(
    `SELECT user_id, updated_name, chat_name, chat_id, chat_created_at, profile FROM ${SCHEMA}.users WHERE channel_id = $1 ORDER BY user_id COLLATE "C"`,
    [channelId],
  );
  return rows.map((r) => ({ ...r, chat_created_at: r.chat_created_at?.getTime() ?? null }));
}

/** The User data sheet's name and profile (case-snapshot.ts reads coalesce(updated_name, chat_name)), by user id. */
async function sheet(channelId: string): Promise<Record<string, { name: string | null; profile: Record<string, ProfileValue> }>> {
  const users = await storedUsers(channelId);
  return Object.fromEntries(users.map((u) => [u.user_id, { name: u.updated_name ?? u.chat_name, profile: u.profile }]));
}
const nameOf = async (channelId: string, userId: string) => (await sheet(channelId))[userId]?.name;

async function applyEach(batches: CaseStatsEvent[][]): Promise<{ duplicates: number }> {
  let duplicates = 0;
  for (const events of batches) duplicates += (await applyBatch(db.dataSource, SCHEMA, { events })).duplicates;
  return { duplicates };
}

let channels = 0;
const freshChannel = () => `ch-u${++channels}`;

describe('the user name, applied through applyBatch', () => {
  it('comes from userChat.created when no user.updated carried one', async () => {
    const ch = freshChannel();
    await applyEach([[created(ch, 'uc-1', { id: 'u-1', name: '김민수' }, 59)]]);
    expect(await nameOf(ch, 'u-1')).toBe('김민수');
  });

  it('is the one of the last user.updated that carried a name, whatever chats come later, in the batch or after', async () => {
    const ch = freshChannel();
    await applyEach([
      [
        created(ch, 'uc-1', { id: 'u-1', name: 'From chat' }, 59),
        updated(ch, { id: 'u-1', name: 'First' }, 60),
        updated(ch, { id: 'u-1', name: 'Second' }, 61),
        updated(ch, { id: 'u-1', profile: { email: 'a@example.com' } }, 62),
        created(ch, 'uc-2', { id: 'u-1', name: 'Newer chat' }, 120),
      ],
      [created(ch, 'uc-3', { id: 'u-1', name: 'Newest chat' }, 180)],
    ]);
    expect(await nameOf(ch, 'u-1')).toBe('Second');
  });

  it('otherwise comes from the most recently created chat, whichever order and batches the creations come in', async () => {
    const [oneBatch, twoBatches] = [freshChannel(), freshChannel()];
    for (const ch of [oneBatch, twoBatches]) {
      const older = created(ch, 'uc-old', { id: 'u-1', name: 'Old' }, 60);
      const newer = created(ch, 'uc-new', { id: 'u-1', name: 'New' }, 120);
      const olderFirst = created(ch, 'uc-old2', { id: 'u-2', name: 'Old' }, 60);
      const newerLast = created(ch, 'uc-new2', { id: 'u-2', name: 'New' }, 120);
      await applyEach(ch === oneBatch ? [[newer, older, olderFirst, newerLast]] : [[newer], [older], [olderFirst], [newerLast]]);
      expect(await sheet(ch)).toEqual({ 'u-1': { name: 'New', profile: {} }, 'u-2': { name: 'New', profile: {} } });
    }
  });

  it('breaks a tie of creation times by the larger userChatId, in code points: a character beyond U+FFFF is larger than U+FF21', async () => {
    const ch = freshChannel();
    await applyEach([
      [created(ch, 'uc-b', { id: 'u-1', name: 'B' }, 60), created(ch, 'uc-a', { id: 'u-1', name: 'A' }, 60)],
      [created(ch, 'uc-a2', { id: 'u-2', name: 'A' }, 60)],
      [created(ch, 'uc-b2', { id: 'u-2', name: 'B' }, 60)],
      [created(ch, 'uc-\uFF21', { id: 'u-3', name: 'Wide' }, 60), created(ch, 'uc-\u{1F600}', { id: 'u-3', name: 'Astral' }, 60)],
      [created(ch, 'uc-\u{1F600}x', { id: 'u-4', name: 'Astral' }, 60)],
      [created(ch, 'uc-\uFF21x', { id: 'u-4', name: 'Wide' }, 60)],
    ]);
    expect(Object.entries(await sheet(ch)).map(([id, u]) => [id, u.name])).toEqual([
      ['u-1', 'B'],
      ['u-2', 'B'],
      ['u-3', 'Astral'],
      ['u-4', 'Astral'],
    ]);
  });

  it('is null for a user known only from a user.updated without a name', async () => {
    const ch = freshChannel();
    await applyEach([[updated(ch, { id: 'u-9', profile: { tier: 'gold' } }, 60)]]);
    expect(await sheet(ch)).toEqual({ 'u-9': { name: null, profile: { tier: 'gold' } } });
  });

  it('is per channel: the same user id in two channels are two users', async () => {
    const [one, two] = [freshChannel(), freshChannel()];
    await applyEach([
      [created(one, 'uc-1', { id: 'u-1', name: 'One' }, 59), created(two, 'uc-1', { id: 'u-1', name: 'Two' }, 59), updated(two, { id: 'u-1', name: 'Renamed in 2' }, 60)],
    ]);
    expect([await nameOf(one, 'u-1'), await nameOf(two, 'u-1')]).toEqual(['One', 'Renamed in 2']);
  });
});

describe('the user profile, applied through applyBatch', () => {
  it('applies user.updated merge patches in order, null removing a key; a redelivered patch is applied once', async () => {
    const ch = freshChannel();
    const first = updated(ch, { id: 'u-1', profile: { email: 'a@example.com', tier: 'gold', age: 30 } }, 60);
    const second = updated(ch, { id: 'u-1', profile: { tier: null, age: 31, vip: true } }, 61);
    const { duplicates } = await applyEach([[first, second], [first], [second, first]]);
    expect(duplicates).toBe(3);
    expect(await sheet(ch)).toEqual({ 'u-1': { name: null, profile: { email: 'a@example.com', age: 31, vip: true } } });
  });

  it('is not touched by userChat.created nor by the chat profile', async () => {
    const ch = freshChannel();
    await applyEach([
      [
        updated(ch, { id: 'u-1', profile: { email: 'a@example.com' } }, 58),
        created(ch, 'uc-1', { id: 'u-1', name: 'A' }, 59),
        chatEvent(ch, 'uc-1', 'userChat.profileUpdated', 60, { profile: { csat: 5 } }),
      ],
    ]);
    expect(await sheet(ch)).toEqual({ 'u-1': { name: 'A', profile: { email: 'a@example.com' } } });
  });
});

it('shared fixtures: scenarios.ndjson applied in batches of seven gives the expected users', async () => {
  const events = scenarioLines().map((line) => {
    const parsed = parseEvent(line);
    if (!parsed.ok) throw new Error(parsed.error.reason);
    return parsed.event;
  });
  await applyEach(Array.from({ length: Math.ceil(events.length / 7) }, (_, i) => events.slice(i * 7, i * 7 + 7)));
  const channelIds = [...new Set(events.map((e) => e.channelId))].sort();
  const actual = [];
  for (const channelId of channelIds) {
    for (const [userId, u] of Object.entries(await sheet(channelId))) {
      actual.push({ channelId, userId, name: u.name, ...Object.fromEntries(Object.entries(u.profile).map(([k, v]) => [`profile.${k}`, v])) });
    }
  }
  expect(actual).toEqual(expectedUsers());
});

// ---- Random histories against the rule, folded here from its statement in export.md ----

/** a sorts before b by code points (PostgreSQL's "C" order over UTF-8), written apart from the store's. */
function codePointCompare(a: string, b: string): number {
  const [x, y] = [Array.from(a, (c) => c.codePointAt(0) ?? 0), Array.from(b, (c) => c.codePointAt(0) ?? 0)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/**
 * The User data rule as a plain fold over a whole history: each event id counts once, where it
 * first comes in its partition (a user's updates share one partition, keyed by the user).
 */
function referenceUsers(partitions: readonly CaseStatsEvent[][]): StoredUser[] {
  const users = new Map<string, StoredUser>();
  const user = (id: string) => {
    let u = users.get(id);
    if (!u) users.set(id, (u = { user_id: id, updated_name: null, chat_name: null, chat_id: null, chat_created_at: null, profile: {} }));
    return u;
  };
  const seen = new Set<string>();
  for (const e of partitions.flat()) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    if (e.type === 'user.updated') {
      const u = user(e.data.user.id);
      u.updated_name = e.data.user.name ?? u.updated_name;
      for (const [k, v] of Object.entries(e.data.user.profile ?? {})) {
        if (v === null) delete u.profile[k];
        else u.profile[k] = v;
      }
    } else if (e.type === 'userChat.created') {
      const u = user(e.data.user.id);
      const newer =
        u.chat_created_at === null ||
        e.occurredAt > u.chat_created_at ||
        (e.occurredAt === u.chat_created_at && codePointCompare(e.userChatId, u.chat_id ?? '') > 0);
      if (newer) Object.assign(u, { chat_name: e.data.user.name, chat_id: e.userChatId, chat_created_at: e.occurredAt });
    }
  }
  return [...users.values()].sort((a, b) => codePointCompare(a.user_id, b.user_id));
}

/** mulberry32: a small seeded generator, so that a failing history can be named by its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}

/**
 * A history of one channel as a topic delivers it: chats and users hashed to partitions, each
 * partition in topic order with the keys' events interleaved, some events delivered again later.
 */
function randomHistory(seed: number, channelId: string): CaseStatsEvent[][] {
  const r = random(seed);
  const parts: CaseStatsEvent[][][] = Array.from({ length: 1 + r.int(3) }, () => []);
  const userIds = Array.from({ length: 1 + r.int(4) }, (_, i) => `u-${i}`);
  // Few creation minutes, so that ties are common; ids that meet beyond U+FFFF, at U+FF21 and as prefixes.
  const glyphs = ['a', 'b', '\uFF21', '\u{1F600}', '\u{10000}', 'Z'];
  const chatIds = new Set<string>();
  for (let i = 0, n = 1 + r.int(10); i < n; i++) chatIds.add(`c-${Array.from({ length: 1 + r.int(3) }, () => r.pick(glyphs)).join('')}`);
  for (const chatId of chatIds) {
    const userId = r.pick(userIds);
    const minute = r.int(4);
    const events = [created(channelId, chatId, { id: userId, name: `${userId} via ${chatId}` }, minute)];
    for (let k = 0, n = r.int(4); k < n; k++) {
      const at = minute + 1 + k;
      events.push(
        r.pick([
          () => chatEvent(channelId, chatId, 'userChat.queued', at),
          () => chatEvent(channelId, chatId, 'message.created', at, { personType: 'user' }),
          () => chatEvent(channelId, chatId, 'userChat.profileUpdated', at, { profile: { csat: 1 + r.int(5) } }),
          () => chatEvent(channelId, chatId, 'userChat.closed', at),
        ])(),
      );
    }
    r.pick(parts).push(events);
  }
  const userPartition = new Map(userIds.map((id) => [id, r.pick(parts)]));
  const updates = new Map<string, CaseStatsEvent[]>();
  for (let i = 0, n = r.int(9); i < n; i++) {
    const id = r.pick(userIds);
    const patch: ProfilePatch = {};
    for (const key of ['k0', 'k1', 'k2']) if (r.next() < 0.4) patch[key] = r.pick([null, 'x', i, r.next() < 0.5]);
    const name = r.next() < 0.5 ? `${id} r${i}` : undefined;
    const event = updated(channelId, { id, ...(name === undefined ? {} : { name }), ...(r.next() < 0.7 ? { profile: patch } : {}) }, 5 + i);
    updates.set(id, [...(updates.get(id) ?? []), event]);
  }
  for (const [id, events] of updates) userPartition.get(id)?.push(events);

  return parts.map((keys) => {
    // Interleave the keys' sequences, each in its own order, then deliver some events again later.
    const queues = keys.map((k) => [...k]);
    const out: CaseStatsEvent[] = [];
    while (queues.some((q) => q.length)) {
      const q = r.pick(queues.filter((x) => x.length));
      out.push(q.shift() as CaseStatsEvent);
      if (r.next() < 0.15) out.push(out[r.int(out.length)]);
    }
    for (let i = 0, n = r.int(3); i < n && out.length; i++) out.push(out[r.int(out.length)]);
    return out;
  });
}

/** Splits each partition into batches at random and applies them: one schedule drawn from the seed, or every partition at once. */
async function deliver(seed: number, partitions: CaseStatsEvent[][]): Promise<void> {
  const r = random(seed ^ 0x5bd1e995);
  const batches = partitions.map((events) => {
    const list: CaseStatsEvent[][] = [];
    for (let i = 0; i < events.length; ) {
      const size = 1 + r.int(6);
      list.push(events.slice(i, i + size));
      i += size;
    }
    return list;
  });
  if (seed % 3 === 0) {
    await Promise.all(batches.map((list) => applyEach(list)));
    return;
  }
  while (batches.some((b) => b.length)) {
    const ready = batches.filter((b) => b.length);
    // Now and then two partitions' transactions at once, as two apply threads run them.
    const now = r.next() < 0.3 ? ready.slice(0, 2) : [r.pick(ready)];
    await Promise.all(now.map((b) => applyBatch(db.dataSource, SCHEMA, { events: b.shift() ?? [] })));
  }
}

describe('property: the stored users are the rule folded over the history', () => {
  it('for random histories split into batches at random, interleaved across partitions, with redeliveries', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const channelId = `ch-p${seed}`;
      const partitions = randomHistory(seed, channelId);
      await deliver(seed, partitions);
      expect(await storedUsers(channelId), `seed ${seed}`).toEqual(referenceUsers(partitions));
    }
  }, 120_000);

  it('for partitions that share eight users, applied side by side in batches of four', async () => {
    // Three partitions of chats (keyed by chat) and one of user.updated (keyed by user); creation
    // times tie on purpose, and chat ids differ beyond U+FFFF.
    const ch = 'ch-s';
    const users = Array.from({ length: 8 }, (_, i) => `su-${i}`);
    const chatIds = ['sc-a', 'sc-\u{1F600}', 'sc-\uFF21', 'sc-b'];
    const partitions: CaseStatsEvent[][] = [[], [], [], []];
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 24; i++) {
        const user = users[(i * 5 + round) % users.length];
        const chatId = `${chatIds[i % chatIds.length]}-${round}-${i}`;
        partitions[i % 3].push(created(ch, chatId, { id: user, name: `${user} via ${chatId}` }, (i * 7 + round) % 4));
      }
      for (const user of users) {
        partitions[3].push(updated(ch, { id: user, ...(round % 2 ? { name: `${user} r${round}` } : {}), profile: { round, [`k${round % 3}`]: round % 3 ? 'x' : null } }, 60));
      }
    }
    // The user.updated ones once more, as duplicates.
    partitions[3].push(...partitions[3].slice(0, 8));
    const results = await Promise.all(
      partitions.map((events) => applyEach(Array.from({ length: Math.ceil(events.length / 4) }, (_, b) => events.slice(b * 4, b * 4 + 4)))),
    );
    expect(results[3].duplicates).toBe(8);
    const expected = referenceUsers(partitions);
    expect(await storedUsers(ch)).toEqual(expected);
    // The astral chat id wins its ties over U+FF21, as PostgreSQL's "C" order has it.
    expect(expected.some((u) => u.chat_id?.startsWith('sc-\u{1F600}'))).toBe(true);
  });
});
