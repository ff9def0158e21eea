import { ChatState, chatKey, completionDueAt } from '@casestats/case-projection';
import { Sql, fromEpochMs, iso } from '@casestats/pg';
import { assertSchemaName } from './schema-name';

/**
 * A chat's state as stored: only the latest case (the only one that can change again), and its
 * attributes only where they differ from the chat's, which while the case is in progress they
 * never do: that halves what every batch writes and reads back.
 */
type StoredState = Omit<ChatState, 'cases'> & { cases: (Omit<ChatState['cases'][number], 'attrs'> & { attrs?: ChatState['attrs'] })[] };

function toStored(chat: ChatState): StoredState {
  const last = chat.cases[chat.cases.length - 1];
  if (!last) return chat;
  if (last.attrs !== chat.attrs) return { ...chat, cases: [last] };
  const { attrs: _same, ...rest } = last;
  return { ...chat, cases: [rest] };
}

function fromStored(stored: StoredState): ChatState {
  for (const c of stored.cases) c.attrs ??= stored.attrs;
  return stored as ChatState;
}

export interface LoadedChats {
  states: Map<string, ChatState>;
  /** Every event id already applied to these chats. */
  eventIds: Set<string>;
}

/** Loads and locks the states of these chats, with the ids of the events applied to them; a chat never seen is simply absent. */
export async function loadChatStates(
  sql: Sql,
  schema: string,
  keys: { channelId: string; userChatId: string }[],
): Promise<LoadedChats> {
  const loaded: LoadedChats = { states: new Map(), eventIds: new Set() };
  if (!keys.length) return loaded;
  const rows = await sql<{ state: StoredState; event_ids: string[] }>(
    `SELECT c.state, c.event_ids FROM ${assertSchemaName(schema)}.chat_states c
       JOIN unnest($1::text[], $2::text[]) AS k(channel_id, user_chat_id) USING (channel_id, user_chat_id)
      ORDER BY c.channel_id, c.user_chat_id
      FOR UPDATE OF c`,
    [keys.map((k) => k.channelId), keys.map((k) => k.userChatId)],
  );
  for (const { state, event_ids } of rows) {
    loaded.states.set(chatKey(state.channelId, state.userChatId), fromStored(state));
    for (const id of event_ids) loaded.eventIds.add(id);
  }
  return loaded;
}

/** Locks and loads up to `limit` chats whose latest case is due to complete at `now`; others' locks are skipped. */
export async function loadDueChatStates(sql: Sql, schema: string, now: number, limit: number): Promise<ChatState[]> {
  const rows = await sql<{ state: StoredState }>(
    `SELECT state FROM ${assertSchemaName(schema)}.chat_states
      WHERE completion_due_at <= $1
      ORDER BY completion_due_at
      LIMIT $2
      FOR UPDATE SKIP LOCKED`,
    [iso(now), limit],
  );
  return rows.map((r) => fromStored(r.state));
}

/**
 * Writes these chats' states; `eventIds` (by chatKey) are the ids the batch applied to them, added to those stored.
 * The states travel apart from the rows, as one text of one state per line (JSON.stringify never
 * writes a raw newline), zipped back by position: inside the rows' JSON, PostgreSQL parsed each
 * state three times (the cast, the recordset, the json column), a third of the statement's time.
 */
export async function saveChatStates(sql: Sql, schema: string, chats: ChatState[], eventIds?: ReadonlyMap<string, string[]>): Promise<void> {
  if (!chats.length) return;
  const rows = chats.map((chat) => ({
    channel_id: chat.channelId,
    user_chat_id: chat.userChatId,
    completion_due_at: completionDueAt(chat),
    event_ids: eventIds?.get(chatKey(chat.channelId, chat.userChatId)) ?? [],
  }));
  const states = chats.map((chat) => JSON.stringify(toStored(chat))).join('\n');
  await sql(
    `INSERT INTO ${assertSchemaName(schema)}.chat_states AS t (channel_id, user_chat_id, state, completion_due_at, event_ids)
     SELECT channel_id, user_chat_id, state::json, ${fromEpochMs('completion_due_at')}, event_ids
       FROM ROWS FROM (
              json_to_recordset($1::json) AS (channel_id text, user_chat_id text, completion_due_at bigint, event_ids text[]),
              string_to_table($2, E'\\n')
            ) AS x(channel_id, user_chat_id, completion_due_at, event_ids, state)
     ON CONFLICT (channel_id, user_chat_id)
     DO UPDATE SET state = EXCLUDED.state, completion_due_at = EXCLUDED.completion_due_at, event_ids = t.event_ids || EXCLUDED.event_ids`,
    [JSON.stringify(rows), states],
  );
}
