import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AppError } from '@casestats/config';
import { selectionWhere, type CaseSelection } from '@casestats/case-read';
import { assertSchemaName } from './projection-schema';
import { type CaseItemRow, caseItemColumns } from './case-item.sql';

export const CASE_LIST_MAX_LIMIT = 1000;

export interface CaseListPage {
  /** Each case's item columns (caseItemColumns), made into the item with its link by caseItem. */
  items: CaseItemRow[];
  /** Absent on the last page. */
  nextCursor?: string;
}

/**
 * A cursor of the case list: the last case's creation instant (microseconds, as PostgreSQL keeps
 * it) and id, with a checksum over them and the channel, so that an edited or made-up one is
 * refused (400). It grants nothing: reads are scoped by the token and the path's channel.
 */
function checksum(channelId: string, body: string): string {
  return createHash('sha256').update(`casestats case list\u0000${channelId}\u0000${body}`).digest('base64url').slice(0, 12);
}

function encodeCursor(channelId: string, at: string, id: string): string {
  const body = Buffer.from(JSON.stringify([at, id])).toString('base64url');
  return `${body}.${checksum(channelId, body)}`;
}

function decodeCursor(channelId: string, cursor: string): [string, string] {
  const bad = () => new AppError('INPUT.INVALID', 'cursor: not a cursor this list gave for this channel', [{ field: 'cursor', message: 'not a cursor this list gave for this channel' }]);
  const [body, sum, extra] = cursor.split('.');
  if (extra !== undefined || !body || !sum || cursor.length > 2000 || checksum(channelId, body) !== sum) throw bad();
  const value: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === 'string')) throw bad();
  return value as [string, string];
}

/** One page of the selected cases in export order (creation, then case id), after `cursor`. */
export async function readCaseListPage(db: DataSource, schema: string, sel: CaseSelection, limit: number, cursor?: string): Promise<CaseListPage> {
  const s = assertSchemaName(schema);
  const { where, params } = selectionWhere(sel);
  let after = '';
  if (cursor) {
    const [at, id] = decodeCursor(sel.channelId, cursor);
    params.push(at, id);
    after = ` AND (r.case_created_at, r.user_chat_case_id) > ($${params.length - 1}::timestamptz, $${params.length}::text)`;
  }
  params.push(limit + 1);
  const rows: (CaseItemRow & { list_key: string; id: string })[] = await db.query(
    `SELECT ${caseItemColumns('r')}, r.user_chat_case_id AS id, to_char(r.case_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS list_key
       FROM ${s}.case_records r WHERE ${where}${after}
      ORDER BY r.case_created_at, r.user_chat_case_id LIMIT $${params.length}`,
    params,
  );
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  const nextCursor = more ? encodeCursor(sel.channelId, last.list_key, last.id) : undefined;
  return { items: page, ...(nextCursor && { nextCursor }) };
}
