import { CASE_FIELDS, type CaseFieldDef } from '@casestats/case-projection';

/**
 * A case as the feed and the dashboard's case list give it (dashboard.md, feed.md): channelId, the
 * field keys of cases.md in order, timestamps as ISO 8601 UTC strings with milliseconds, tags joined
 * with ", ", the standard profile values, then `profile.{key}` for each custom key the case has,
 * sorted; null when empty. userChatUrl is the app's link to the chat.
 *
 * How it is made, measured (BENCHMARKS.md, "Change feed"): PostgreSQL selects each field as the
 * text JSON needs, with the cheapest expression it has, and Node writes the JSON around them. Built
 * wholly in SQL (row_to_json, to_char), an item cost PostgreSQL about twice what the lookups of a
 * page cost, while PostgreSQL and Node take turns on a page.
 */
export type CaseItem = Record<string, string | number | null>;

const ITEM_FIELDS: readonly CaseFieldDef[] = CASE_FIELDS.filter((f) => f.kind !== 'profile');
/** The profile keys that are fields of their own (csat, csatComment), not `profile.{key}`. */
const STANDARD_PROFILE_KEYS = ITEM_FIELDS.flatMap((f) => (f.derived && 'profileKey' in f.derived ? [f.derived.profileKey] : []));
const quote = (key: string) => `'${key.replace(/'/g, "''")}'`;

/** A selected value (text, or a number where pg parses one) to its JSON. */
type Writer = (value: unknown) => string;

const text: Writer = (v) => (v === null ? 'null' : JSON.stringify(v));
const integer: Writer = (v) => (v === null ? 'null' : String(v));

/**
 * A timestamp from its `to_json(… AT TIME ZONE 'UTC')` text ("2025-07-01T00:15:00.1234", quoted: the
 * form JSON gives whatever the session's DateStyle) as Date.prototype.toISOString writes it:
 * milliseconds, truncated.
 */
const timestamp: Writer = (v) => {
  if (v === null) return 'null';
  const s = v as string;
  if (s.length === 21) return `${s.slice(0, 20)}.000Z"`;
  if (s.length >= 23 && s.length <= 28 && s.charCodeAt(20) === 0x2e) return `${s.slice(0, 21)}${s.slice(21, -1).padEnd(3, '0').slice(0, 3)}Z"`;
  // Outside years 0001-9999: Date's own form of the same instant.
  return JSON.stringify(new Date(`${JSON.parse(s) as string}Z`).toISOString());
};

/** A profile value from its jsonb text: a number stays one, null is null, anything else is its text (jsonb's own, for objects and arrays). */
const profileValue: Writer = (v) => {
  if (v === null) return 'null';
  const s = v as string;
  switch (s.charCodeAt(0)) {
    case 0x22: // a string, which jsonb writes as valid JSON
      return s;
    case 0x74: // true
    case 0x66: // false
      return `"${s}"`;
    case 0x6e: // null
      return 'null';
    case 0x7b: // an object or an array: its text
    case 0x5b:
      return JSON.stringify(s);
    default:
      return s;
  }
};

/** The same as profileValue, in SQL, for the custom keys (their fragment is written by PostgreSQL). */
const profileValueSql = (v: string) => `CASE jsonb_typeof(${v}) WHEN 'number' THEN ${v} WHEN 'null' THEN NULL ELSE to_jsonb(${v} #>> '{}') END`;

interface ItemPart {
  /** `"key":`, after a comma but for the first. */
  prefix: string;
  /** Its value's SQL over the case row, null for the link (written from the ids). */
  sql: ((r: string) => string) | null;
  write: Writer;
}

function partOf(f: CaseFieldDef, i: number): ItemPart {
  const prefix = `${i ? ',' : ''}${JSON.stringify(f.key)}:`;
  if (f.derived) {
    if ('url' in f.derived) return { prefix, sql: null, write: text };
    const key = quote(f.derived.profileKey);
    return { prefix, sql: (r) => `(${r}.profile -> ${key})::text`, write: profileValue };
  }
  if (!f.column) throw new Error(`${f.key}: a field of an item is stored or derived`);
  const column = f.column.name;
  switch (f.column.sql) {
    case 'timestamptz':
      return { prefix, sql: (r) => `to_json(${r}.${column} AT TIME ZONE 'UTC')::text`, write: timestamp };
    case 'text[]':
      return { prefix, sql: (r) => `CASE WHEN cardinality(${r}.${column}) > 0 THEN array_to_string(${r}.${column}, ', ') END`, write: text };
    case 'integer':
      return { prefix, sql: (r) => `${r}.${column}`, write: integer };
    case 'text':
      return { prefix, sql: (r) => `${r}.${column}`, write: text };
    case 'jsonb':
      throw new Error(`${f.key}: an item has no jsonb field but the profile's values`);
  }
}

const PARTS = ITEM_FIELDS.map(partOf);
const SELECTED = PARTS.flatMap((p) => (p.sql === null ? [] : [p.sql]));
const STANDARD = STANDARD_PROFILE_KEYS.map(quote);
/** How many values caseItemColumns selects: the fields', the custom keys' fragment, the link's two ids. */
export const CASE_ITEM_COLUMN_COUNT = SELECTED.length + 3;

/**
 * What a query selects for each case's item over case_records row `r`, in this order: the fields'
 * values (as `item_0`…), the custom profile keys' fragment (`item_custom`: keys by byte, COLLATE "C",
 * the code point order; jsonb's own text of nested values; null for the many cases without one) and
 * the ids the link needs.
 */
export function caseItemColumns(r = 'r'): string {
  const custom = `CASE WHEN ${r}.profile - ${STANDARD.map((k) => `${k}::text`).join(' - ')} <> '{}'::jsonb THEN
      (SELECT string_agg(to_json('profile.' || p.key)::text || ':' || coalesce((${profileValueSql('p.value')})::text, 'null'), ',' ORDER BY p.key COLLATE "C")
         FROM jsonb_each(${r}.profile) p WHERE p.key NOT IN (${STANDARD.join(', ')})) END`;
  return [...SELECTED.map((sql, i) => `${sql(r)} AS item_${i}`), `${custom} AS item_custom`, `${r}.channel_id AS item_channel_id`, `${r}.user_chat_id AS item_chat_id`].join(', ');
}

export type CaseUrl = (channelId: string, userChatId: string) => string;

/**
 * The writer of items from rows of caseItemColumns as arrays (pg's rowMode 'array'; text, or
 * numbers where pg parsed them) whose first item column is at `offset`.
 */
export function caseItemWriter(offset: number, caseUrl: CaseUrl): (values: readonly unknown[]) => string {
  let at = offset;
  const steps = PARTS.map((p) => ({ prefix: p.prefix, at: p.sql === null ? -1 : at++, write: p.write }));
  const custom = at;
  // The pieces joined once into a flat string: measured, about 40% cheaper for a page than `+=`,
  // whose rope of ~90 pieces per item is flattened again by every later join or search.
  const pieces: string[] = new Array(2 * steps.length + 2);
  pieces[0] = '{';
  return (v) => {
    let k = 1;
    for (const s of steps) {
      pieces[k++] = s.prefix;
      pieces[k++] = s.at < 0 ? JSON.stringify(caseUrl(v[custom + 1] as string, v[custom + 2] as string)) : s.write(v[s.at]);
    }
    const fragment = v[custom] as string | null;
    pieces[k] = fragment === null ? '}' : `,${fragment}}`;
    return pieces.join('');
  };
}

/** A row of caseItemColumns as an object (by its aliases), as TypeORM's query gives it. */
export type CaseItemRow = Record<string, unknown>;

const ALIASES = [...SELECTED.map((_, i) => `item_${i}`), 'item_custom', 'item_channel_id', 'item_chat_id'];

const objectWriters = new WeakMap<CaseUrl, (values: readonly unknown[]) => string>();

/** The item of a row of caseItemColumns read as an object. */
export function caseItem(row: CaseItemRow, caseUrl: CaseUrl): CaseItem {
  let write = objectWriters.get(caseUrl);
  if (!write) objectWriters.set(caseUrl, (write = caseItemWriter(0, caseUrl)));
  return JSON.parse(write(ALIASES.map((a) => row[a]))) as CaseItem;
}
