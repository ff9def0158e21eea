import { CASE_FIELDS, type CaseFieldDef } from '@casestats/case-projection';

/**
 * A case as the feed and the dashboard's case list give it (dashboard.md, feed.md): channelId, the
 * field keys of cases.md in order, timestamps as ISO 8601 UTC strings with milliseconds, tags joined
 * with ", ", the standard profile values, then `profile.{key}` for each custom key the case has,
 * sorted; null when empty. userChatUrl is filled in by caseItemJson: its template is the app's.
 */
export type CaseItem = Record<string, string | number | null>;

const ITEM_FIELDS: readonly CaseFieldDef[] = CASE_FIELDS.filter((f) => f.kind !== 'profile');
/** The profile keys that are fields of their own (csat, csatComment), not `profile.{key}`. */
const STANDARD_PROFILE_KEYS = ITEM_FIELDS.flatMap((f) => (f.derived && 'profileKey' in f.derived ? [f.derived.profileKey] : []));
const quote = (key: string) => `'${key.replace(/'/g, "''")}'`;

/** A profile value as the item has it: a number stays one, anything else is its text; null when absent. */
const profileValue = (v: string) => `CASE jsonb_typeof(${v}) WHEN 'number' THEN ${v} WHEN 'null' THEN NULL ELSE to_jsonb(${v} #>> '{}') END`;

function valueOf(f: CaseFieldDef, r: string): string {
  if (f.derived) return 'url' in f.derived ? 'NULL::text' : profileValue(`${r}.profile -> ${quote(f.derived.profileKey)}`);
  const c = `${r}.${f.column!.name}`;
  switch (f.column!.sql) {
    case 'timestamptz':
      // As Date.prototype.toISOString writes it; both truncate to the millisecond.
      return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    case 'text[]':
      return `CASE WHEN cardinality(${c}) > 0 THEN array_to_string(${c}, ', ') END`;
    default:
      return c;
  }
}

/**
 * The SQL expression (text holding one JSON object) of the item of case_records row `r`, built by
 * PostgreSQL so that a feed page goes out without a row object, a Date or an item per case in Node
 * (BENCHMARKS.md, "Change feed"). row_to_json over a subselect whose column names are the keys:
 * measured, it writes a page's items in half the time json_build_object takes (which looks up each
 * argument's type on every row). userChatUrl is null here (caseItemJson). Custom profile keys sort by
 * byte (COLLATE "C"), the code point order.
 */
export function caseItemSql(r = 'r'): string {
  const columns = ITEM_FIELDS.map((f) => `${valueOf(f, r)} AS "${f.key}"`);
  const item = `(SELECT row_to_json(k)::text FROM (SELECT ${columns.join(', ')}) k)`;
  const standard = STANDARD_PROFILE_KEYS.map(quote);
  const custom = `(SELECT string_agg(to_json('profile.' || p.key)::text || ': ' || coalesce((${profileValue('p.value')})::text, 'null'), ', ' ORDER BY p.key COLLATE "C")
      FROM jsonb_each(${r}.profile) p WHERE p.key NOT IN (${standard.join(', ')}))`;
  // Most cases have no custom key: they skip the subquery.
  return `(SELECT CASE WHEN ${r}.profile - ${standard.map((k) => `${k}::text`).join(' - ')} = '{}'::jsonb THEN i ELSE left(i, -1) || ', ' || ${custom} || '}' END
     FROM (SELECT ${item} AS i) x)`;
}

/** What a query selects for each case's item, and the ids its link needs. */
export const caseItemColumns = (r = 'r') => `${caseItemSql(r)} AS item, ${r}.channel_id AS item_channel_id, ${r}.user_chat_id AS item_chat_id`;

export interface CaseItemRow {
  item: string;
  item_channel_id: string;
  item_chat_id: string;
}

/**
 * The item's JSON text with the link to its chat. The link is the app's template with the ids
 * URI-encoded, which SQL cannot do; it takes the place row_to_json wrote for it, found by its key:
 * inside a JSON string every quote is escaped, so `"userChatUrl":null` can only be the key.
 */
export function caseItemJson(row: CaseItemRow, caseUrl: (channelId: string, userChatId: string) => string): string {
  return row.item.replace(URL_SLOT, `"userChatUrl":${JSON.stringify(caseUrl(row.item_channel_id, row.item_chat_id))}`);
}

export const caseItem = (row: CaseItemRow, caseUrl: (channelId: string, userChatId: string) => string): CaseItem => JSON.parse(caseItemJson(row, caseUrl));

const URL_SLOT = '"userChatUrl":null';
