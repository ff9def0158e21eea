import { UserOfBatch, UserState, userKey } from '@casestats/case-projection';
import { Sql, fromEpochMs } from '@casestats/pg';
import { assertSchemaName } from './schema-name';

interface UserRow {
  channel_id: string;
  user_id: string;
  updated_name: string | null;
  profile: UserState['profile'];
  event_ids: string[];
}

export interface LoadedUsers {
  users: Map<string, UserState>;
  /** Every `user.updated` id already applied to these users. */
  eventIds: Set<string>;
}

/**
 * "Newest chat wins" (export.md, User data): a user's chat name is that of its most recently
 * created chat, ties to the larger chat id in code point order (COLLATE "C"). This statement is the
 * rule's one implementation, in two clauses of one order: NEWEST_FIRST picks a batch's newest chat
 * of each user, and it replaces the stored one only if NEWER_CHAT. The merge is commutative, so
 * chats from any partition, in any order and any batches, need no read first.
 */
const NEWEST_FIRST = `chat_created_at DESC NULLS LAST, chat_id COLLATE "C" DESC NULLS LAST`;
const NEWER_CHAT = `EXCLUDED.chat_created_at IS NOT NULL AND (t.chat_created_at IS NULL OR EXCLUDED.chat_created_at > t.chat_created_at
  OR (EXCLUDED.chat_created_at = t.chat_created_at AND EXCLUDED.chat_id COLLATE "C" > t.chat_id COLLATE "C"))`;

/**
 * Upserts every user a batch touches in one statement, in key order, merging their chats (see
 * NEWER_CHAT), and returns the stored state of those in `toRead`. The statement also takes every
 * user row lock the transaction will hold, in one order: transactions of different partitions
 * that share users wait for each other but cannot deadlock.
 */
export async function mergeUserChats(sql: Sql, schema: string, chats: readonly UserOfBatch[], toRead: ReadonlySet<string>): Promise<LoadedUsers> {
  const users = new Map<string, UserState>();
  const eventIds = new Set<string>();
  if (!chats.length) return { users, eventIds };
  const s = assertSchemaName(schema);
  const rows = chats.map((u) => ({
    channel_id: u.channelId,
    user_id: u.userId,
    chat_name: u.chat?.name ?? null,
    chat_created_at: u.chat?.createdAt ?? null,
    chat_id: u.chat?.id ?? null,
  }));
  // Each user's key once, though several of its chats come: every key joined returns its row.
  const read: typeof rows = [];
  const readKeys = new Set<string>();
  for (const r of rows) {
    const key = userKey(r.channel_id, r.user_id);
    if (toRead.has(key) && !readKeys.has(key)) {
      readKeys.add(key);
      read.push(r);
    }
  }
  const stored = await sql<UserRow>(
    `WITH merged AS (
       INSERT INTO ${s}.users AS t (channel_id, user_id, chat_name, chat_created_at, chat_id)
       SELECT DISTINCT ON (channel_id, user_id COLLATE "C") channel_id, user_id, chat_name, ${fromEpochMs('chat_created_at')}, chat_id
         FROM json_to_recordset($1::json) AS x(channel_id text, user_id text, chat_name text, chat_created_at bigint, chat_id text)
        ORDER BY channel_id, user_id COLLATE "C", ${NEWEST_FIRST}
       ON CONFLICT (channel_id, user_id) DO UPDATE SET
         chat_name = CASE WHEN ${NEWER_CHAT} THEN EXCLUDED.chat_name ELSE t.chat_name END,
         chat_id = CASE WHEN ${NEWER_CHAT} THEN EXCLUDED.chat_id ELSE t.chat_id END,
         chat_created_at = CASE WHEN ${NEWER_CHAT} THEN EXCLUDED.chat_created_at ELSE t.chat_created_at END
       -- Rows left as they are are still locked; only those updated come back.
       WHERE (${NEWER_CHAT}) OR (t.channel_id, t.user_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))
       RETURNING t.channel_id, t.user_id, t.updated_name, t.profile, t.event_ids)
     SELECT m.* FROM merged m JOIN unnest($2::text[], $3::text[]) AS k(channel_id, user_id) USING (channel_id, user_id)`,
    [JSON.stringify(rows), read.map((r) => r.channel_id), read.map((r) => r.user_id)],
  );
  for (const r of stored) {
    users.set(userKey(r.channel_id, r.user_id), { channelId: r.channel_id, userId: r.user_id, updatedName: r.updated_name, profile: r.profile });
    for (const id of r.event_ids) eventIds.add(id);
  }
  return { users, eventIds };
}

/**
 * Writes what `user.updated` changed (name, profile) for users mergeUserChats locked in this
 * transaction; `eventIds` (by userKey) are the ids applied, added to those stored.
 */
export async function saveUserUpdates(sql: Sql, schema: string, users: UserState[], eventIds: ReadonlyMap<string, string[]>): Promise<void> {
  if (!users.length) return;
  const rows = users.map((u) => ({
    channel_id: u.channelId,
    user_id: u.userId,
    updated_name: u.updatedName,
    profile: u.profile,
    event_ids: eventIds.get(userKey(u.channelId, u.userId)) ?? [],
  }));
  await sql(
    `UPDATE ${assertSchemaName(schema)}.users AS t
        SET updated_name = x.updated_name, profile = x.profile, event_ids = t.event_ids || x.event_ids
       FROM json_to_recordset($1::json) AS x(channel_id text, user_id text, updated_name text, profile jsonb, event_ids text[])
      WHERE t.channel_id = x.channel_id AND t.user_id = x.user_id`,
    [JSON.stringify(rows)],
  );
}
