import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AppError } from '@casestats/config';
import { activeSchema } from './projection-registry';
import { FEED_START, streamCaseChanges, type FeedPosition } from './case-changes.repository';
import { type CaseItem, type CaseUrl, caseItemColumns, caseItemWriter } from './case-item.sql';

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

export type CaseFeedItem = CaseItem;

export interface CaseFeedPage {
  items: CaseFeedItem[];
  nextCursor: string;
  hasMore: boolean;
  /** Present when the cursor was of another projection (a rebuild switched): reading started over. */
  restarted?: true;
  restartReason?: string;
}

/** A page as it goes out: each item already JSON text (caseItemWriter). */
export type CaseFeedJsonPage = Omit<CaseFeedPage, 'items'> & { itemsJson: string[] };

const ITEM_COLUMNS = caseItemColumns('r');
/** After the position's three columns (streamCaseChanges). */
const ITEM_OFFSET = 3;
const writers = new WeakMap<CaseUrl, ReturnType<typeof caseItemWriter>>();

/** One page of the feed for `channelId` after `cursor` (none: from the beginning), its items as JSON text. */
export async function readCaseFeedJson(
  db: DataSource,
  request: { channelId: string; cursor?: string; limit: number; caseUrl: CaseUrl },
): Promise<CaseFeedJsonPage> {
  const { channelId } = request;
  const from = request.cursor ? decodeFeedCursor(channelId, request.cursor) : null;
  const schema = await activeSchema(db);
  const generation = Number(schema.slice('proj_'.length));
  const restarted = from !== null && from.generation !== generation;
  let write = writers.get(request.caseUrl);
  if (!write) writers.set(request.caseUrl, (write = caseItemWriter(ITEM_OFFSET, request.caseUrl)));
  const itemsJson: string[] = [];
  const page = await streamCaseChanges(db, schema, channelId, from && !restarted ? from : FEED_START, request.limit, {
    select: ITEM_COLUMNS,
    onRow: (values) => itemsJson.push(write(values)),
  });
  return {
    itemsJson,
    nextCursor: encodeFeedCursor(channelId, { generation, ...page.next }),
    hasMore: page.hasMore,
    ...(restarted && {
      restarted: true as const,
      restartReason: `the projection was rebuilt (${schema} replaced the one this cursor was read from): reading started again from the beginning`,
    }),
  };
}

/** One page of the feed, its items as objects. */
export async function readCaseFeed(db: DataSource, request: Parameters<typeof readCaseFeedJson>[1]): Promise<CaseFeedPage> {
  const { itemsJson, ...page } = await readCaseFeedJson(db, request);
  return { items: itemsJson.map((text) => JSON.parse(text) as CaseFeedItem), ...page };
}

/** The HTTP body of a page: CaseFeedPage's JSON, written around the items' text instead of re-serialising them. */
export function caseFeedPageBody({ itemsJson, ...page }: CaseFeedJsonPage): string {
  return `{"items":[${itemsJson.join(',')}],${JSON.stringify(page).slice(1)}`;
}
