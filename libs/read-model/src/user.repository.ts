import { UserState, userKey } from '@casestats/case-projection';
import { Sql, fromEpochMs } from './sql';
import { assertSchemaName } from './projection-schema';

interface UserRow {
  channel_id: string;
  user_id: string;
  updated_name: string | null;
  chat_name: string | null;
  chat_created_at: Date | null;
  chat_id: string | null;
  profile: UserState['profile'];
  event_ids: string[];
}

export interface LoadedUsers {
  users: Map<string, UserState>;
  /** Every `user.updated` id already applied to these users. */
  eventIds: Set<string>;
}

export async function loadUsers(
  sql: Sql,
  schema: string,
  keys: { channelId: string; userId: string }[],
): Promise<LoadedUsers> {
  const users = new Map<string, UserState>();
  const eventIds = new Set<string>();
  if (!keys.length) return { users, eventIds };
  // A user is touched from several partitions (its chats and its own updates), so two batches may
  // meet on a user nobody has stored yet: create the row first, so that the lock below always has
  // a row to hold and the second batch reads the first one's result instead of overwriting it.
  await sql(
    `INSERT INTO ${assertSchemaName(schema)}.users (channel_id, user_id)
     SELECT channel_id, user_id FROM unnest($1::text[], $2::text[]) AS k(channel_id, user_id)
      ORDER BY channel_id, user_id COLLATE "C"
     ON CONFLICT DO NOTHING`,
    [keys.map((k) => k.channelId), keys.map((k) => k.userId)],
  );
  const rows = await sql<UserRow>(
    `SELECT u.* FROM ${assertSchemaName(schema)}.users u
       JOIN unnest($1::text[], $2::text[]) AS k(channel_id, user_id) USING (channel_id, user_id)
      ORDER BY u.channel_id, u.user_id
      FOR UPDATE OF u`,
    [keys.map((k) => k.channelId), keys.map((k) => k.userId)],
  );
  for (const r of rows) {
    users.set(userKey(r.channel_id, r.user_id), {
      channelId: r.channel_id,
      userId: r.user_id,
      updatedName: r.updated_name,
      chatName: r.chat_name,
      chatCreatedAt: r.chat_created_at ? r.chat_created_at.getTime() : null,
      chatId: r.chat_id,
      profile: r.profile,
    });
    for (const id of r.event_ids) eventIds.add(id);
  }
  return { users, eventIds };
}

/** Writes these users; `eventIds` (by userKey) are the `user.updated` ids the batch applied to them, added to those stored. */
export async function saveUsers(sql: Sql, schema: string, users: UserState[], eventIds?: ReadonlyMap<string, string[]>): Promise<void> {
  if (!users.length) return;
  const rows = users.map((u) => ({
    channel_id: u.channelId,
    user_id: u.userId,
    updated_name: u.updatedName,
    chat_name: u.chatName,
    chat_created_at: u.chatCreatedAt,
    chat_id: u.chatId,
    profile: u.profile,
    event_ids: eventIds?.get(userKey(u.channelId, u.userId)) ?? [],
  }));
  await sql(
    `INSERT INTO ${assertSchemaName(schema)}.users AS t (channel_id, user_id, updated_name, chat_name, chat_created_at, chat_id, profile, event_ids)
     SELECT channel_id, user_id, updated_name, chat_name, ${fromEpochMs('chat_created_at')}, chat_id, profile, event_ids
       FROM jsonb_to_recordset($1::jsonb) AS x(channel_id text, user_id text, updated_name text, chat_name text,
                                               chat_created_at bigint, chat_id text, profile jsonb, event_ids text[])
     ON CONFLICT (channel_id, user_id) DO UPDATE SET updated_name = EXCLUDED.updated_name, chat_name = EXCLUDED.chat_name,
       chat_created_at = EXCLUDED.chat_created_at, chat_id = EXCLUDED.chat_id, profile = EXCLUDED.profile,
       event_ids = t.event_ids || EXCLUDED.event_ids`,
    [JSON.stringify(rows)],
  );
}
