import type { CellValue, ColumnSpec } from '@casestats/xlsx';
import { EXPORT_CASE_FIELDS, type ExportCaseField, type ExportCaseRow } from '@casestats/read-model/case-snapshot';
import { Zone } from './zoned-time';

export interface RowContext {
  zone: Zone;
  caseUrlTemplate: string;
}

interface Column {
  header: string;
  kind: ColumnSpec['kind'];
  width?: number;
  cell(row: ExportCaseRow, ctx: CellContext): CellValue;
}

interface CellContext {
  zone: Zone;
  caseUrl: (channelId: string, userChatId: string) => string;
}

/** Rows are arrays in EXPORT_CASE_FIELDS order: each cell reads its field by a fixed index. */
const at = (field: ExportCaseField) => EXPORT_CASE_FIELDS.indexOf(field);
const text = (field: ExportCaseField) => {
  const i = at(field);
  return (row: ExportCaseRow) => row[i] as string | null;
};
const num = text as (field: ExportCaseField) => (row: ExportCaseRow) => number | null;
const time = (field: ExportCaseField) => {
  const i = at(field);
  return (row: ExportCaseRow, ctx: CellContext) => {
    const ms = row[i] as number | null;
    return ms === null ? null : ctx.zone.excelSerial(ms);
  };
};
const CHANNEL = at('channel_id');
const USER_CHAT = at('user_chat_id');
const PROFILE = at('profile');
const profileOf = (row: ExportCaseRow) => row[PROFILE] as Record<string, unknown>;

function profileCell(value: unknown): CellValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return value;
  return String(value);
}

export function caseUrl(template: string, channelId: string, userChatId: string): string {
  return caseUrlBuilder(template)(channelId, userChatId);
}

/**
 * The template split once at its placeholders: a million rows then cost one join each, and the
 * channel (the same on every row of an export) is encoded once.
 */
export function caseUrlBuilder(template: string): (channelId: string, userChatId: string) => string {
  const parts = template.split(/(\{channelId\}|\{userChatId\})/);
  let lastChannel = '';
  let encodedChannel = '';
  return (channelId, userChatId) => {
    if (channelId !== lastChannel) {
      lastChannel = channelId;
      encodedChannel = encodeURIComponent(channelId);
    }
    let url = '';
    for (const p of parts) url += p === '{channelId}' ? encodedChannel : p === '{userChatId}' ? encodeURIComponent(userChatId) : p;
    return url;
  };
}

/** Fields 1–44 of cases.md in export order: the one table the header, the cells and the tests read. */
export const CASE_COLUMNS: Column[] = [
  { header: 'userChatCaseCreatedAt', kind: 'date', width: 20, cell: time('case_created_at') },
  { header: 'userChatCase', kind: 'number', cell: num('user_chat_case') },
  { header: 'userChatCaseId', kind: 'string', width: 24, cell: text('user_chat_case_id') },
  { header: 'userChatCaseState', kind: 'string', cell: text('case_state') },
  { header: 'userChatCaseUpdatedAt', kind: 'date', width: 20, cell: time('case_updated_at') },
  { header: 'userChatId', kind: 'string', width: 22, cell: text('user_chat_id') },
  { header: 'direction', kind: 'string', cell: text('direction') },
  { header: 'userChatState', kind: 'string', cell: text('user_chat_state') },
  {
    header: 'userChatUrl',
    kind: 'string',
    width: 40,
    cell: (row, ctx) => ctx.caseUrl(row[CHANNEL] as string, row[USER_CHAT] as string),
  },
  { header: 'teamId', kind: 'string', cell: text('team_id') },
  { header: 'teamName', kind: 'string', cell: text('team_name') },
  { header: 'assigneeId', kind: 'string', cell: text('assignee_id') },
  { header: 'assigneeName', kind: 'string', cell: text('assignee_name') },
  { header: 'managerIds', kind: 'string', cell: text('manager_ids') },
  { header: 'managerNames', kind: 'string', cell: text('manager_names') },
  { header: 'userId', kind: 'string', cell: text('user_id') },
  { header: 'userName', kind: 'string', cell: text('user_name') },
  { header: 'createdAt', kind: 'date', width: 20, cell: time('created_at') },
  { header: 'firstQueuedAt', kind: 'date', width: 20, cell: time('first_queued_at') },
  { header: 'firstOpenedAt', kind: 'date', width: 20, cell: time('first_opened_at') },
  { header: 'firstAskedAt', kind: 'date', width: 20, cell: time('first_asked_at') },
  { header: 'firstRepliedAt', kind: 'date', width: 20, cell: time('first_replied_at') },
  { header: 'closedAt', kind: 'date', width: 20, cell: time('closed_at') },
  { header: 'waitingTime', kind: 'number', cell: num('waiting_time') },
  { header: 'totalReplyTime', kind: 'number', cell: num('total_reply_time') },
  { header: 'replyCount', kind: 'number', cell: num('reply_count') },
  { header: 'avgReplyTime', kind: 'number', cell: num('avg_reply_time') },
  { header: 'resolutionTime', kind: 'number', cell: num('resolution_time') },
  { header: 'totalSnoozedTime', kind: 'number', cell: num('total_snoozed_time') },
  { header: 'leadTime', kind: 'number', cell: num('lead_time') },
  { header: 'snoozedCount', kind: 'number', cell: num('snoozed_count') },
  { header: 'missedCount', kind: 'number', cell: num('missed_count') },
  { header: 'description', kind: 'string', width: 30, cell: text('description') },
  { header: 'summarizedMessage', kind: 'string', width: 30, cell: text('summarized_message') },
  // Joined with ", " by the query; no tags is '', an empty cell.
  { header: 'tags', kind: 'string', cell: text('tags') },
  { header: 'mediumName', kind: 'string', cell: text('medium_name') },
  { header: 'mediumSenderName', kind: 'string', cell: text('medium_sender_name') },
  { header: 'marketingType', kind: 'string', cell: text('marketing_type') },
  { header: 'marketingId', kind: 'string', cell: text('marketing_id') },
  { header: 'workflowId', kind: 'string', cell: text('workflow_id') },
  { header: 'page', kind: 'string', width: 30, cell: text('page') },
  { header: 'priority', kind: 'string', cell: text('priority') },
  { header: 'profile.csat', kind: 'number', cell: (row) => profileCell(profileOf(row).csat) },
  { header: 'profile.csatComment', kind: 'string', width: 30, cell: (row) => profileCell(profileOf(row).csatComment) },
];

/** The Case data sheet: the fixed columns, then one per custom profile key, sorted. */
export function caseSheet(profileKeys: string[], ctx: RowContext) {
  const columns: Column[] = [
    ...CASE_COLUMNS,
    ...profileKeys.map((key) => ({
      header: `profile.${key}`,
      kind: 'string' as const,
      cell: (row: ExportCaseRow) => profileCell(profileOf(row)[key]),
    })),
  ];
  const cells = columns.map((c) => c.cell);
  const cellCtx: CellContext = { zone: ctx.zone, caseUrl: caseUrlBuilder(ctx.caseUrlTemplate) };
  return {
    specs: columns.map(({ header, kind, width }): ColumnSpec => ({ header, kind, width })),
    /** The row's cells, written into `into` when given: a renderer that uses them at once can reuse one array for every row. */
    toCells(row: ExportCaseRow, into: CellValue[] = new Array<CellValue>(cells.length)): CellValue[] {
      for (let i = 0; i < cells.length; i++) into[i] = cells[i](row, cellCtx);
      return into;
    },
  };
}

/** The User data sheet: userId, name, then the user profile keys present, sorted. */
export function userSheet(profileKeys: string[]) {
  return {
    specs: [
      { header: 'userId', kind: 'string', width: 20 },
      { header: 'name', kind: 'string', width: 20 },
      ...profileKeys.map((k) => ({ header: `profile.${k}`, kind: 'string' as const, width: 20 })),
    ] as ColumnSpec[],
    toCells(user: { user_id: string; name: string | null; profile: Record<string, unknown> }): CellValue[] {
      return [user.user_id, user.name, ...profileKeys.map((k) => profileCell(user.profile[k]))];
    },
  };
}
