import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AppError } from '@casestats/config';
import { CASE_FIELDS, type CaseFieldDef } from '@casestats/case-projection';
import { activeSchema } from './projection-registry';
import { FEED_START, readCaseChanges, type FeedPosition } from './case-changes.repository';

/**
 * The case change feed (GET /api/channels/{id}/case-changes, `casestats feed`): pages of a
 * channel's case records in the order they last changed, with an opaque cursor. The guarantee and
 * the log behind it: case-changes.repository.ts.
 *
 * A cursor is base64url of (version 1, projection generation N of proj_N, xid, chunk, ordinal) and
 * a checksum over those bytes and the channel id: a cursor of another channel, cut, edited or made
 * up fails it (400). Not an HMAC: a cursor grants nothing (the token decides what may be read, and
 * reads are scoped to the path's channel), and a keyed one would die with the key (EXPORT_JWT_SECRET
 * may be drawn per process), while a cursor must stay valid for at least 7 days. Positions never
 * expire: the housekeeping deletes only log rows a reader would step over.
 *
 * Across a rebuild's switch (a new proj_N), positions of the old schema mean nothing in the new
 * one: a cursor of another generation reads the new schema from its beginning and the answer says
 * so (`restarted: true`, `restartReason`), never silently. A loader that upserts by
 * userChatCaseId ends up right either way; the flag lets it also drop what the new projection no
 * longer holds.
 */

export const FEED_DEFAULT_LIMIT = 500;
export const FEED_MAX_LIMIT = 1000;
const VERSION = 1;
const BODY = 1 + 4 + 8 + 4 + 4;
const CHECK = 10;

interface FeedCursor extends FeedPosition {
  generation: number;
}

function checksum(channelId: string, body: Buffer): Buffer {
  return createHash('sha256').update('casestats case-changes cursor\u0000').update(channelId).update('\u0000').update(body).digest().subarray(0, CHECK);
}

export function encodeFeedCursor(channelId: string, c: FeedCursor): string {
  const body = Buffer.alloc(BODY);
  body.writeUInt8(VERSION, 0);
  body.writeUInt32BE(c.generation, 1);
  body.writeBigUInt64BE(BigInt(c.xid), 5);
  body.writeUInt32BE(c.chunk, 13);
  body.writeUInt32BE(c.ord, 17);
  return Buffer.concat([body, checksum(channelId, body)]).toString('base64url');
}

const badCursor = (why: string) => new AppError('INPUT.INVALID', `cursor: ${why}`, [{ field: 'cursor', message: why }]);

export function decodeFeedCursor(channelId: string, cursor: string): FeedCursor {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(cursor)) throw badCursor('not a cursor this feed gave');
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length !== BODY + CHECK || bytes.readUInt8(0) !== VERSION) throw badCursor('not a cursor this feed gave');
  const body = bytes.subarray(0, BODY);
  if (!checksum(channelId, body).equals(bytes.subarray(BODY))) throw badCursor('not a cursor this feed gave for this channel');
  return {
    generation: body.readUInt32BE(1),
    xid: body.readBigUInt64BE(5).toString(),
    chunk: body.readUInt32BE(13),
    ord: body.readUInt32BE(17),
  };
}

export function parseFeedLimit(value: unknown): number {
  if (value === undefined || value === '') return FEED_DEFAULT_LIMIT;
  const n = typeof value === 'string' && /^[0-9]{1,4}$/.test(value) ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!Number.isInteger(n) || n < 1 || n > FEED_MAX_LIMIT) {
    throw new AppError('INPUT.INVALID', `limit: a whole number from 1 to ${FEED_MAX_LIMIT}`, [{ field: 'limit', message: `a whole number from 1 to ${FEED_MAX_LIMIT}` }]);
  }
  return n;
}

export type CaseFeedItem = Record<string, string | number | null>;

export interface CaseFeedPage {
  items: CaseFeedItem[];
  nextCursor: string;
  hasMore: boolean;
  /** Present when the cursor was of another projection (a rebuild switched): reading started over. */
  restarted?: true;
  restartReason?: string;
}

const STANDARD_PROFILE_KEYS = new Set(['csat', 'csatComment']);
/** channelId, then the columns of cases.md in order; the profile object comes as its `profile.{key}` values. */
const ITEM_FIELDS: readonly CaseFieldDef[] = CASE_FIELDS.filter((f) => f.kind !== 'profile');

function profileValue(v: unknown): string | number | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'number' ? v : String(v);
}

/**
 * A case_records row as the dashboard's case list gives it (dashboard.md), as the fixtures'
 * expected records have it: channelId, the field keys of cases.md in order, timestamps as ISO 8601 UTC strings, tags joined with ", ", the standard
 * profile values, then `profile.{key}` for each custom key the case has, sorted; null when empty.
 */
export function caseFeedItem(row: Record<string, unknown>, caseUrl: (channelId: string, userChatId: string) => string): CaseFeedItem {
  const item: CaseFeedItem = {};
  const profile = (row.profile ?? {}) as Record<string, unknown>;
  for (const f of ITEM_FIELDS) {
    if (f.derived || !f.column) {
      item[f.key] = f.derived && 'url' in f.derived ? caseUrl(row.channel_id as string, row.user_chat_id as string) : profileValue(profile[f.derived?.profileKey ?? f.key]);
      continue;
    }
    const v = row[f.column.name];
    if (v === null || v === undefined) item[f.key] = null;
    else if (v instanceof Date) item[f.key] = v.toISOString();
    else if (Array.isArray(v)) item[f.key] = v.length ? v.join(', ') : null;
    else item[f.key] = v as string | number;
  }
  for (const key of Object.keys(profile).sort()) if (!STANDARD_PROFILE_KEYS.has(key)) item[`profile.${key}`] = profileValue(profile[key]);
  return item;
}

/** One page of the feed for `channelId` after `cursor` (none: from the beginning). */
export async function readCaseFeed(
  db: DataSource,
  request: { channelId: string; cursor?: string; limit: number; caseUrl: (channelId: string, userChatId: string) => string },
): Promise<CaseFeedPage> {
  const { channelId } = request;
  const from = request.cursor ? decodeFeedCursor(channelId, request.cursor) : null;
  const schema = await activeSchema(db);
  const generation = Number(schema.slice('proj_'.length));
  const restarted = from !== null && from.generation !== generation;
  const page = await readCaseChanges(db, schema, channelId, from && !restarted ? from : FEED_START, request.limit);
  return {
    items: page.rows.map((r) => caseFeedItem(r.record, request.caseUrl)),
    nextCursor: encodeFeedCursor(channelId, { generation, ...page.next }),
    hasMore: page.hasMore,
    ...(restarted && {
      restarted: true as const,
      restartReason: `the projection was rebuilt (${schema} replaced the one this cursor was read from): reading started again from the beginning`,
    }),
  };
}
