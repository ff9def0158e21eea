import { ChangedCase, toCaseRecord } from '@casestats/case-projection';
import { Sql, fromEpochMs } from './sql';
import { assertSchemaName } from './projection-schema';

const COLUMNS: [string, string][] = [
  ['channel_id', 'text'],
  ['user_chat_case_id', 'text'],
  ['case_created_at', 'timestamptz'],
  ['user_chat_case', 'integer'],
  ['case_state', 'text'],
  ['case_updated_at', 'timestamptz'],
  ['user_chat_id', 'text'],
  ['direction', 'text'],
  ['user_chat_state', 'text'],
  ['team_id', 'text'],
  ['team_name', 'text'],
  ['assignee_id', 'text'],
  ['assignee_name', 'text'],
  ['manager_ids', 'text'],
  ['manager_names', 'text'],
  ['user_id', 'text'],
  ['user_name', 'text'],
  ['created_at', 'timestamptz'],
  ['first_queued_at', 'timestamptz'],
  ['first_opened_at', 'timestamptz'],
  ['first_asked_at', 'timestamptz'],
  ['first_replied_at', 'timestamptz'],
  ['closed_at', 'timestamptz'],
  ['waiting_time', 'integer'],
  ['total_reply_time', 'integer'],
  ['reply_count', 'integer'],
  ['avg_reply_time', 'integer'],
  ['resolution_time', 'integer'],
  ['total_snoozed_time', 'integer'],
  ['lead_time', 'integer'],
  ['snoozed_count', 'integer'],
  ['missed_count', 'integer'],
  ['description', 'text'],
  ['summarized_message', 'text'],
  ['tags', 'text[]'],
  ['medium_name', 'text'],
  ['medium_sender_name', 'text'],
  ['marketing_type', 'text'],
  ['marketing_id', 'text'],
  ['workflow_id', 'text'],
  ['page', 'text'],
  ['priority', 'text'],
  ['profile', 'jsonb'],
];

function toRow({ chat, case: c }: ChangedCase): Record<string, unknown> {
  const r = toCaseRecord(chat, c);
  return {
    channel_id: r.channelId,
    user_chat_case_id: r.userChatCaseId,
    case_created_at: r.userChatCaseCreatedAt,
    user_chat_case: r.userChatCase,
    case_state: r.userChatCaseState,
    case_updated_at: r.userChatCaseUpdatedAt,
    user_chat_id: r.userChatId,
    direction: r.direction,
    user_chat_state: r.userChatState,
    team_id: r.teamId,
    team_name: r.teamName,
    assignee_id: r.assigneeId,
    assignee_name: r.assigneeName,
    manager_ids: r.managerIds,
    manager_names: r.managerNames,
    user_id: r.userId,
    user_name: r.userName,
    created_at: r.createdAt,
    first_queued_at: r.firstQueuedAt,
    first_opened_at: r.firstOpenedAt,
    first_asked_at: r.firstAskedAt,
    first_replied_at: r.firstRepliedAt,
    closed_at: r.closedAt,
    waiting_time: r.waitingTime,
    total_reply_time: r.totalReplyTime,
    reply_count: r.replyCount,
    avg_reply_time: r.avgReplyTime,
    resolution_time: r.resolutionTime,
    total_snoozed_time: r.totalSnoozedTime,
    lead_time: r.leadTime,
    snoozed_count: r.snoozedCount,
    missed_count: r.missedCount,
    description: r.description,
    summarized_message: r.summarizedMessage,
    // The array, not the joined text: a tag may itself contain ", ", and the tag filter needs members.
    tags: c.attrs.tags,
    medium_name: r.mediumName,
    medium_sender_name: r.mediumSenderName,
    marketing_type: r.marketingType,
    marketing_id: r.marketingId,
    workflow_id: r.workflowId,
    page: r.page,
    priority: r.priority,
    profile: r.profile,
  };
}

const names = COLUMNS.map(([n]) => n).join(', ');
// Instants travel as epoch milliseconds: PostgreSQL converts a number faster than either side formats or parses text.
const recordType = COLUMNS.map(([n, t]) => `${n} ${t === 'timestamptz' ? 'bigint' : t}`).join(', ');
const selected = COLUMNS.map(([n, t]) => (t === 'timestamptz' ? fromEpochMs(n) : n)).join(', ');
const updates = COLUMNS.filter(([n]) => n !== 'channel_id' && n !== 'user_chat_case_id')
  .map(([n]) => `${n} = EXCLUDED.${n}`)
  .join(', ');

/**
 * Writes the latest version of each changed case. A completed record is never overwritten.
 * json_to_recordset, not jsonb_: the rows are read once, so building a jsonb of the whole batch
 * first only costs (measured: the statement's time halved).
 */
export async function upsertCaseRecords(sql: Sql, schema: string, cases: ChangedCase[]): Promise<void> {
  if (!cases.length) return;
  const s = assertSchemaName(schema);
  await sql(
    `INSERT INTO ${s}.case_records AS t (${names})
     SELECT ${selected} FROM json_to_recordset($1::json) AS x(${recordType})
     ON CONFLICT (channel_id, user_chat_case_id) DO UPDATE SET ${updates}
     WHERE t.case_state = 'inProgress'`,
    [JSON.stringify(cases.map(toRow))],
  );
}
