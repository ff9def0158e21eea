import { ChatState, chatKey, completionDueAt } from '@casestats/case-projection';
import { Sql, iso } from './sql';
import { assertSchemaName } from './projection-schema';

/** Loads and locks the states of these chats; a chat never seen is simply absent. */
export async function loadChatStates(
  sql: Sql,
  schema: string,
  keys: { channelId: string; userChatId: string }[],
): Promise<Map<string, ChatState>> {
  const states = new Map<string, ChatState>();
  if (!keys.length) return states;
  const rows = await sql<{ state: ChatState }>(
    `SELECT c.state FROM ${assertSchemaName(schema)}.chat_states c
       JOIN unnest($1::text[], $2::text[]) AS k(channel_id, user_chat_id) USING (channel_id, user_chat_id)
      ORDER BY c.channel_id, c.user_chat_id
      FOR UPDATE OF c`,
    [keys.map((k) => k.channelId), keys.map((k) => k.userChatId)],
  );
  for (const { state } of rows) states.set(chatKey(state.channelId, state.userChatId), state);
  return states;
}

/** Locks and loads up to `limit` chats whose latest case is due to complete at `now`; others' locks are skipped. */
export async function loadDueChatStates(sql: Sql, schema: string, now: number, limit: number): Promise<ChatState[]> {
  const rows = await sql<{ state: ChatState }>(
    `SELECT state FROM ${assertSchemaName(schema)}.chat_states
      WHERE completion_due_at <= $1
      ORDER BY completion_due_at
      LIMIT $2
      FOR UPDATE SKIP LOCKED`,
    [iso(now), limit],
  );
  return rows.map((r) => r.state);
}

export async function saveChatStates(sql: Sql, schema: string, chats: ChatState[]): Promise<void> {
  if (!chats.length) return;
  // Only the latest case can change again, so it is all the state a chat needs to go on folding.
  const rows = chats.map((chat) => ({
    channel_id: chat.channelId,
    user_chat_id: chat.userChatId,
    state: { ...chat, cases: chat.cases.slice(-1) },
    completion_due_at: iso(completionDueAt(chat)),
  }));
  await sql(
    `INSERT INTO ${assertSchemaName(schema)}.chat_states AS t (channel_id, user_chat_id, state, completion_due_at)
     SELECT channel_id, user_chat_id, state, completion_due_at
       FROM jsonb_to_recordset($1::jsonb) AS x(channel_id text, user_chat_id text, state jsonb, completion_due_at timestamptz)
     ON CONFLICT (channel_id, user_chat_id)
     DO UPDATE SET state = EXCLUDED.state, completion_due_at = EXCLUDED.completion_due_at`,
    [JSON.stringify(rows)],
  );
}
