import { MEDIUM_NAMES, type MarketingType } from '@casestats/events';
import type { CaseLifecycle, CaseState, ChatState, Direction, UserChatState } from './case.state';

/**
 * The case record, declared once: every field of cases.md in export order, with where it is
 * stored, how it is read from a case's state, and what the product guide calls it. The record
 * type, toCaseRecord, the table's columns, the upsert, the export's SELECT list and sheet
 * columns, the field guide sheet and the API's JSON schema are all derived from this table.
 * Adding a field: one entry here, and a migration that adds its column.
 */

export const CASE_STATES = ['inProgress', 'completed'] as const satisfies readonly CaseLifecycle[];
export const DIRECTIONS = ['INBOUND', 'OUTBOUND'] as const satisfies readonly Direction[];
export const USER_CHAT_STATES = ['queued', 'open', 'snoozed', 'missed', 'closed'] as const satisfies readonly UserChatState[];
export const MARKETING_TYPES = ['oneTimeMsg', 'campaign'] as const satisfies readonly MarketingType[];
export { MEDIUM_NAMES };

/**
 * time: an instant (epoch ms in the record, timestamptz in SQL, a date-time cell);
 * duration: whole seconds; count: how many; number: another whole number (the case's ordinal);
 * profile: the chat profile, a JSON object.
 */
export type FieldKind = 'time' | 'duration' | 'count' | 'number' | 'text' | 'enum' | 'profile';
export type SqlType = 'text' | 'integer' | 'timestamptz' | 'text[]' | 'jsonb';

export type CaseChat = Pick<ChatState, 'channelId' | 'userChatId'>;

/** The product guide's words for a field: its name and what it says about it. */
export interface FieldText {
  label: string;
  remark: string;
}

export interface CaseFieldDef {
  key: string;
  /** Its number in cases.md's table; null for what is stored but not a column of its own (channelId, profile). */
  no: number | null;
  kind: FieldKind;
  values?: readonly string[];
  nullable: boolean;
  /**
   * Where the record keeps it. `tags` is the one array: stored as one, never null (the tag filter
   * needs members, and a tag may hold ", "), read back joined with ", " as the record has it.
   */
  column?: { name: string; sql: SqlType; collate?: 'C'; check?: boolean; default?: string; notNull?: boolean };
  /** How the record's value is read from a case's state. */
  read?: (c: CaseState, chat: CaseChat) => unknown;
  /** What the upsert stores, when it is not the record's value. */
  store?: (c: CaseState) => unknown;
  /** A sheet column that is not stored: the chat's link, or a standard profile key. */
  derived?: { url: true } | { profileKey: string };
  ko: FieldText;
  en: FieldText;
  /** Sheet column width in characters. */
  width?: number;
}

/** Whole seconds of a millisecond span: rounded down, never below 0. */
export function seconds(ms: number): number {
  return Math.max(0, Math.floor(ms / 1000));
}

function minOf(a: number | null, b: number | null, c: number | null = null): number | null {
  let m = a;
  if (b !== null && (m === null || b < m)) m = b;
  if (c !== null && (m === null || c < m)) m = c;
  return m;
}

function joined(values: string[]): string | null {
  return values.length ? values.join(', ') : null;
}

export function caseId(userChatId: string, number: number): string {
  return `${userChatId}-${number}`;
}

const resolutionTime = (c: CaseState) => (c.closedAt !== null && c.firstOpenedAt !== null ? seconds(c.closedAt - c.firstOpenedAt) : null);
const col = (name: string, sql: SqlType, extra: Omit<NonNullable<CaseFieldDef['column']>, 'name' | 'sql'> = {}) => ({ name, sql, ...extra });
const SECONDS_TIP = '초 단위';

export const CASE_FIELDS = [
  {
    key: 'channelId', no: null, kind: 'text', nullable: false, column: col('channel_id', 'text'), read: (_, chat) => chat.channelId,
    ko: { label: '채널 ID', remark: '' }, en: { label: 'Channel ID', remark: 'the channel the case belongs to' },
  },
  {
    // A case starts with a queued or opened event, so one of the two is always set.
    key: 'userChatCaseCreatedAt', no: 1, kind: 'time', nullable: false, column: col('case_created_at', 'timestamptz'), width: 20,
    read: (c) => minOf(c.firstQueuedAt, c.firstOpenedAt) as number,
    ko: { label: '기록 시작', remark: '케이스 데이터가 기록되기 시작한 시간 · firstQueuedAt과 firstOpenedAt 중 최소값' },
    en: { label: 'Case created at', remark: 'min(firstQueuedAt, firstOpenedAt)' },
  },
  {
    key: 'userChatCase', no: 2, kind: 'number', nullable: false, column: col('user_chat_case', 'integer'), read: (c) => c.number,
    ko: { label: '케이스', remark: '한 대화방에서 몇 번째 이루어진 상담인지 나타내는 값' },
    en: { label: 'Case', remark: 'case number within the chat: 1, 2, 3…' },
  },
  {
    key: 'userChatCaseId', no: 3, kind: 'text', nullable: false, column: col('user_chat_case_id', 'text', { collate: 'C' }), width: 24,
    read: (c, chat) => caseId(chat.userChatId, c.number),
    ko: { label: '케이스 ID', remark: '각 케이스의 고유한 아이디' },
    en: { label: 'Case ID', remark: '{userChatId}-{userChatCase}' },
  },
  {
    key: 'userChatCaseState', no: 4, kind: 'enum', values: CASE_STATES, nullable: false, column: col('case_state', 'text', { check: true }),
    read: (c) => c.state,
    ko: { label: '기록 상태', remark: 'inProgress(기록중): 종료되지 않았거나 종료 후 1시간이 지나지 않아 갱신되는 중 · completed(완료): 종료 후 1시간이 지났거나 다음 케이스가 시작되어 더 이상 갱신되지 않음' },
    en: { label: 'Case state', remark: 'inProgress until an hour after the close or the next case, then completed' },
  },
  {
    key: 'userChatCaseUpdatedAt', no: 5, kind: 'time', nullable: false, column: col('case_updated_at', 'timestamptz'), width: 20, read: (c) => c.updatedAt,
    ko: { label: '최근 갱신', remark: '케이스 데이터가 마지막으로 업데이트된 시간' },
    en: { label: 'Case updated at', remark: 'the last event the case took in; on completion, the completion time' },
  },
  {
    key: 'userChatId', no: 6, kind: 'text', nullable: false, column: col('user_chat_id', 'text'), width: 22, read: (_, chat) => chat.userChatId,
    ko: { label: '유저챗 ID', remark: '각 상담의 고유한 아이디' },
    en: { label: 'User chat ID', remark: 'the chat id' },
  },
  {
    key: 'direction', no: 7, kind: 'enum', values: DIRECTIONS, nullable: false, column: col('direction', 'text', { check: true }), read: (c) => c.direction,
    ko: { label: '시작 방식', remark: '수신(INBOUND): 고객이 시작한 케이스 · 발신(OUTBOUND): 상담원이 시작한 케이스' },
    en: { label: 'Direction', remark: 'OUTBOUND when a manager started the case, else INBOUND' },
  },
  {
    key: 'userChatState', no: 8, kind: 'enum', values: USER_CHAT_STATES, nullable: false, column: col('user_chat_state', 'text'), read: (c) => c.userChatState,
    ko: { label: '상담 상태', remark: 'queued: 대기열 · open: 진행중 · missed: 부재중 · snoozed: 보류됨 · closed: 종료됨 · 케이스가 completed(완료)가 되면 더 이상 갱신되지 않음' },
    en: { label: 'Chat state', remark: 'queued, open, snoozed, missed or closed; frozen at completion' },
  },
  {
    key: 'userChatUrl', no: 9, kind: 'text', nullable: false, derived: { url: true }, width: 40,
    ko: { label: '유저챗 링크', remark: '해당 케이스가 포함된 상담의 팀 멤버용 링크' },
    en: { label: 'User chat link', remark: 'the team-member link to the chat' },
  },
  {
    key: 'teamId', no: 10, kind: 'text', nullable: true, column: col('team_id', 'text'), read: (c) => c.attrs.team?.id ?? null,
    ko: { label: '팀 ID', remark: '상담에 담당팀으로 참여하고 있는 팀의 고유한 아이디' },
    en: { label: 'Team ID', remark: "the chat's team" },
  },
  {
    key: 'teamName', no: 11, kind: 'text', nullable: true, column: col('team_name', 'text'), read: (c) => c.attrs.team?.name ?? null,
    ko: { label: '팀 이름', remark: '상담에 담당팀으로 참여하고 있는 팀의 이름' },
    en: { label: 'Team name', remark: "the chat's team" },
  },
  {
    key: 'assigneeId', no: 12, kind: 'text', nullable: true, column: col('assignee_id', 'text'), read: (c) => c.attrs.assignee?.id ?? null,
    ko: { label: '담당자 ID', remark: '상담에 담당자로 참여하고 있는 팀 멤버의 고유한 아이디' },
    en: { label: 'Assignee ID', remark: "the chat's assignee" },
  },
  {
    key: 'assigneeName', no: 13, kind: 'text', nullable: true, column: col('assignee_name', 'text'), read: (c) => c.attrs.assignee?.name ?? null,
    ko: { label: '담당자 이름', remark: '상담에 담당자로 참여하고 있는 팀 멤버의 이름' },
    en: { label: 'Assignee name', remark: "the chat's assignee" },
  },
  {
    key: 'managerIds', no: 14, kind: 'text', nullable: true, column: col('manager_ids', 'text'), read: (c) => joined(c.attrs.followers.map((f) => f.id)),
    ko: { label: '팔로워 ID', remark: '상담에 팔로워로 참여하고 있는 팀 멤버의 고유한 아이디' },
    en: { label: 'Follower IDs', remark: 'the followers\' ids, joined with ", "' },
  },
  {
    key: 'managerNames', no: 15, kind: 'text', nullable: true, column: col('manager_names', 'text'), read: (c) => joined(c.attrs.followers.map((f) => f.name)),
    ko: { label: '팔로워 이름', remark: '상담에 팔로워로 참여하고 있는 팀 멤버의 이름' },
    en: { label: 'Follower names', remark: 'the followers\' names, joined with ", "' },
  },
  {
    key: 'userId', no: 16, kind: 'text', nullable: true, column: col('user_id', 'text'), read: (c) => c.attrs.user?.id ?? null,
    ko: { label: '고객 ID', remark: '' },
    en: { label: 'Customer ID', remark: 'the customer, from userChat.created' },
  },
  {
    key: 'userName', no: 17, kind: 'text', nullable: true, column: col('user_name', 'text'), read: (c) => c.attrs.user?.name ?? null,
    ko: { label: '고객 이름', remark: '해당 상담을 남긴 고객의 이름' },
    en: { label: 'Customer name', remark: 'the customer, from userChat.created' },
  },
  {
    key: 'createdAt', no: 18, kind: 'time', nullable: true, column: col('created_at', 'timestamptz'), width: 20, read: (c) => c.attrs.createdAt,
    ko: { label: '대화방이 생성된 시간', remark: '' },
    en: { label: 'Chat created at', remark: 'when the chat room was created' },
  },
  {
    key: 'firstQueuedAt', no: 19, kind: 'time', nullable: true, column: col('first_queued_at', 'timestamptz'), width: 20, read: (c) => c.firstQueuedAt,
    ko: { label: '대기열 진입 시간', remark: '상담이 처음 대기열에 들어온 시간 · 상담이 다시 열려도 갱신되지 않음' },
    en: { label: 'First queued at', remark: 'first userChat.queued of the case' },
  },
  {
    key: 'firstOpenedAt', no: 20, kind: 'time', nullable: true, column: col('first_opened_at', 'timestamptz'), width: 20, read: (c) => c.firstOpenedAt,
    ko: { label: '첫 열린 시간', remark: '상담이 처음 열린 시간 · 상담이 다시 열려도 갱신되지 않음' },
    en: { label: 'First opened at', remark: 'first userChat.opened of the case' },
  },
  {
    key: 'firstAskedAt', no: 21, kind: 'time', nullable: true, column: col('first_asked_at', 'timestamptz'), width: 20, read: (c) => c.firstAskedAt,
    ko: {
      label: '첫 문의 시간',
      remark: '첫 응대 시간 계산을 위한 보조 값 · 채팅 자동배정: 고객의 첫 메시지와 첫 열림 중 나중 시간 · 수동 배정: 첫 열림 후 고객의 첫 메시지 시간 · 수신 전화: firstOpenedAt과 같음(발신·부재중·수동 배정 전화는 값 없음)',
    },
    en: { label: 'First asked at', remark: 'the first question of the case; once set it never changes' },
  },
  {
    key: 'firstRepliedAt', no: 22, kind: 'time', nullable: true, column: col('first_replied_at', 'timestamptz'), width: 20, read: (c) => c.firstRepliedAt,
    ko: { label: '첫 답변 시간', remark: '고객의 첫 메시지에 팀 멤버가 처음으로 답변한 시간 · 채팅일 경우에만 값 존재' },
    en: { label: 'First replied at', remark: 'first reply of the case; chat media only' },
  },
  {
    key: 'closedAt', no: 23, kind: 'time', nullable: true, column: col('closed_at', 'timestamptz'), width: 20, read: (c) => c.closedAt,
    ko: { label: '종료 시간', remark: '상담이 종료된 시간 · 케이스별로 하나의 종료 시간만 존재함' },
    en: { label: 'Closed at', remark: "the case's userChat.closed" },
  },
  {
    key: 'waitingTime', no: 24, kind: 'duration', nullable: true, column: col('waiting_time', 'integer'),
    read: (c) => {
      const start = minOf(c.firstOpenedAt, c.firstQueuedAt, c.firstAskedAt);
      return c.firstRepliedAt !== null && start !== null ? seconds(c.firstRepliedAt - start) : null;
    },
    ko: { label: '첫 응대 시간', remark: `상담이 열린 후 고객의 첫 메시지에 팀 멤버가 답변하기까지 걸린 시간 · firstRepliedAt - min(firstOpenedAt, firstQueuedAt, firstAskedAt) · ${SECONDS_TIP}` },
    en: { label: 'Waiting time', remark: 'firstRepliedAt − min(firstOpenedAt, firstQueuedAt, firstAskedAt); empty without a reply' },
  },
  {
    key: 'totalReplyTime', no: 25, kind: 'duration', nullable: false, column: col('total_reply_time', 'integer'), read: (c) => seconds(c.totalReplyMs),
    ko: { label: '총 응답 시간', remark: `고객의 메시지에 팀 멤버가 답변하기까지 걸린 시간의 총합 · 상담이 다시 열리면 갱신됨 · ${SECONDS_TIP}` },
    en: { label: 'Total reply time', remark: 'the reply times added up; 0 without replies' },
  },
  {
    key: 'replyCount', no: 26, kind: 'count', nullable: false, column: col('reply_count', 'integer'), read: (c) => c.replyCount,
    ko: { label: '총 답변 수', remark: '고객의 문의에 팀 멤버가 답변한 횟수 총합 · 상담이 다시 열리면 갱신됨' },
    en: { label: 'Reply count', remark: 'number of replies' },
  },
  {
    key: 'avgReplyTime', no: 27, kind: 'duration', nullable: true, column: col('avg_reply_time', 'integer'),
    read: (c) => (c.replyCount > 0 ? Math.floor(seconds(c.totalReplyMs) / c.replyCount) : null),
    ko: { label: '평균 응답 시간', remark: `팀 멤버가 한 번 답변할 때 걸리는 평균 소요시간 · totalReplyTime/replyCount · ${SECONDS_TIP}` },
    en: { label: 'Average reply time', remark: 'totalReplyTime / replyCount, rounded down; empty without replies' },
  },
  {
    key: 'resolutionTime', no: 28, kind: 'duration', nullable: true, column: col('resolution_time', 'integer'), read: resolutionTime,
    ko: { label: '상담 처리 시간', remark: `상담이 열렸을 때부터 종료까지의 소요 시간 · closedAt-firstOpenedAt · ${SECONDS_TIP}` },
    en: { label: 'Resolution time', remark: 'closedAt − firstOpenedAt' },
  },
  {
    key: 'totalSnoozedTime', no: 29, kind: 'duration', nullable: false, column: col('total_snoozed_time', 'integer'), read: (c) => seconds(c.totalSnoozedMs),
    ko: { label: '총 보류 시간', remark: `상담이 보류 상태였던 시간의 총합 · ${SECONDS_TIP}` },
    en: { label: 'Total snoozed time', remark: 'the finished holds added up' },
  },
  {
    key: 'leadTime', no: 30, kind: 'duration', nullable: true, column: col('lead_time', 'integer'),
    read: (c) => {
      const r = resolutionTime(c);
      return r === null ? null : Math.max(0, r - seconds(c.totalSnoozedMs));
    },
    ko: { label: '총 응대 시간', remark: `보류 시간을 제외하고 상담 종료까지 소요된 시간 · resolutionTime-totalSnoozedTime · ${SECONDS_TIP}` },
    en: { label: 'Lead time', remark: 'resolutionTime − totalSnoozedTime, at least 0' },
  },
  {
    key: 'snoozedCount', no: 31, kind: 'count', nullable: false, column: col('snoozed_count', 'integer'), read: (c) => c.snoozedCount,
    ko: { label: '보류 횟수', remark: '케이스 진행 중 상담을 보류한 횟수' },
    en: { label: 'Snoozed count', remark: 'holds started in the case' },
  },
  {
    key: 'missedCount', no: 32, kind: 'count', nullable: false, column: col('missed_count', 'integer'), read: (c) => c.missedCount,
    ko: { label: '부재중 횟수', remark: '케이스 진행 중 발생한 부재중 전화 수' },
    en: { label: 'Missed count', remark: 'call.missed events in the case' },
  },
  {
    key: 'description', no: 33, kind: 'text', nullable: true, column: col('description', 'text'), width: 30, read: (c) => c.attrs.description,
    ko: { label: '상담 설명', remark: '상담 설명란에 기재한 내용' },
    en: { label: 'Description', remark: 'chat description' },
  },
  {
    key: 'summarizedMessage', no: 34, kind: 'text', nullable: true, column: col('summarized_message', 'text'), width: 30, read: (c) => c.attrs.summary,
    ko: { label: '상담 요약', remark: 'AI 부가 기능으로 생성된 상담 요약' },
    en: { label: 'Summary', remark: 'AI summary' },
  },
  {
    key: 'tags', no: 35, kind: 'text', nullable: true, column: col('tags', 'text[]', { default: "'{}'", notNull: true }), read: (c) => joined(c.attrs.tags), store: (c) => c.attrs.tags,
    ko: { label: '상담 태그', remark: '태그를 ", "로 이어 씀' },
    en: { label: 'Tags', remark: 'the tags joined with ", "' },
  },
  {
    key: 'mediumName', no: 36, kind: 'enum', values: MEDIUM_NAMES, nullable: true, column: col('medium_name', 'text'), read: (c) => c.attrs.medium?.name ?? null,
    ko: { label: '연동 서비스', remark: 'inAppChat: 채널톡 메시지 · phoneNumber: 전화 · email: 이메일 · appNaverTalk: 네이버톡톡 · appInstagramMessenger: 인스타그램 메신저 · appLine: 라인 · appKakao: 카카오' },
    en: { label: 'Medium', remark: 'from userChat.created (v1 media upcast)' },
  },
  {
    key: 'mediumSenderName', no: 37, kind: 'text', nullable: true, column: col('medium_sender_name', 'text'), read: (c) => c.attrs.medium?.senderName ?? null,
    ko: { label: '연동 서비스 ID', remark: '전화번호, 네이버톡톡 파트너 아이디 등 · email은 값 없음: [User data] 시트의 profile.email 참고' },
    en: { label: 'Medium sender', remark: 'from userChat.created; for email see profile.email in User data' },
  },
  {
    key: 'marketingType', no: 38, kind: 'enum', values: MARKETING_TYPES, nullable: true, column: col('marketing_type', 'text'), read: (c) => c.attrs.marketing?.type ?? null,
    ko: { label: '마케팅 유형', remark: '일회성 메시지: oneTimeMsg · 캠페인: campaign' },
    en: { label: 'Marketing type', remark: 'oneTimeMsg or campaign' },
  },
  {
    key: 'marketingId', no: 39, kind: 'text', nullable: true, column: col('marketing_id', 'text'), read: (c) => c.attrs.marketing?.id ?? null,
    ko: { label: '마케팅 ID', remark: '채널톡으로 보낸 마케팅 메시지의 ID' },
    en: { label: 'Marketing ID', remark: 'the marketing message id' },
  },
  {
    key: 'workflowId', no: 40, kind: 'text', nullable: true, column: col('workflow_id', 'text'), read: (c) => c.attrs.workflowId,
    ko: { label: '시작 워크플로우', remark: '상담 전체에서 처음 실행된 워크플로우의 ID' },
    en: { label: 'First workflow', remark: 'the first workflow started in the whole chat' },
  },
  {
    key: 'page', no: 41, kind: 'text', nullable: true, column: col('page', 'text'), width: 30, read: (c) => c.attrs.page,
    ko: { label: '유입 페이지', remark: '고객이 상담을 최초로 시작한 웹페이지의 링크' },
    en: { label: 'Page', remark: 'the web page where the customer started the chat' },
  },
  {
    key: 'priority', no: 42, kind: 'text', nullable: true, column: col('priority', 'text'), read: (c) => c.attrs.priority,
    ko: { label: '우선순위', remark: '' },
    en: { label: 'Priority', remark: 'chat priority' },
  },
  {
    key: 'profile.csat', no: 43, kind: 'count', nullable: true, derived: { profileKey: 'csat' },
    ko: { label: 'CSAT', remark: '상담 만족도 점수 · 케이스 기록이 종료된 순간의 상담 프로필 값' },
    en: { label: 'CSAT', remark: 'from the chat profile when the case completes' },
  },
  {
    key: 'profile.csatComment', no: 44, kind: 'text', nullable: true, derived: { profileKey: 'csatComment' }, width: 30,
    ko: { label: 'CSAT 의견', remark: '상담 만족도 주관식 의견 · 케이스 기록이 종료된 순간의 상담 프로필 값' },
    en: { label: 'CSAT comment', remark: 'from the chat profile when the case completes' },
  },
  {
    key: 'profile', no: null, kind: 'profile', nullable: false, column: col('profile', 'jsonb', { default: "'{}'" }), read: (c) => c.attrs.profile,
    ko: { label: '커스텀 상담 프로필', remark: '고객사에서 직접 추가한 상담 프로필 정보: profile.{key} 열' },
    en: { label: 'Custom profile', remark: 'one profile.{key} column per custom key present, sorted' },
  },
] as const satisfies readonly CaseFieldDef[];

type FieldDefs = (typeof CASE_FIELDS)[number];
/** The entries stored in case_records, with their literal types. */
export type StoredCaseFieldDef = Extract<FieldDefs, { column: object }>;

/** The stored fields, in table order: the record's keys and the case_records columns. */
export const STORED_CASE_FIELDS: readonly (CaseFieldDef & Pick<Required<CaseFieldDef>, 'column' | 'read'>)[] = CASE_FIELDS.filter(
  (f): f is StoredCaseFieldDef => 'column' in f,
);
/** The columns of cases.md's table (1–44), in export order. */
export const SHEET_CASE_FIELDS: readonly CaseFieldDef[] = CASE_FIELDS.filter((f) => f.no !== null);

/** The unit a field's values are in, in the guide's words. */
export function fieldUnit(f: Pick<CaseFieldDef, 'kind'>, language: 'ko' | 'en'): string {
  const ko = language === 'ko';
  switch (f.kind) {
    case 'time':
      return ko ? '날짜·시간 (내보낸 시간대)' : 'date-time (in the export time zone)';
    case 'duration':
      return ko ? '초' : 'seconds';
    case 'count':
      return ko ? '횟수' : 'count';
    case 'number':
    case 'text':
    case 'enum':
    case 'profile':
      return '';
    default: {
      const exhaustive: never = f.kind;
      return exhaustive;
    }
  }
}

/**
 * A case record as the API gives it in JSON (OpenAPI 3.0 schema object): times as ISO 8601
 * date-time strings, durations and counts as integers, enums with their values, null where empty.
 */
export function caseRecordJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of STORED_CASE_FIELDS) {
    const base: Record<string, unknown> =
      f.kind === 'time'
        ? { type: 'string', format: 'date-time' }
        : f.kind === 'text'
          ? { type: 'string' }
          : f.kind === 'enum'
            ? { type: 'string', enum: [...(f.values ?? [])] }
            : f.kind === 'profile'
              ? { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } }
              : { type: 'integer', minimum: 0 };
    if (f.kind === 'duration') base.description = 'seconds';
    if (f.nullable) base.nullable = true;
    properties[f.key] = base;
  }
  return { type: 'object', required: STORED_CASE_FIELDS.map((f) => f.key), properties, additionalProperties: false };
}
