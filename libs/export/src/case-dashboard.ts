import type { DataSource } from 'typeorm';
import { AppError } from '@casestats/config';
import { INTERVALS, bucketStarts, caseFilterValues, computeStats, type Interval } from '@casestats/case-stats';
import { CASE_LIST_MAX_LIMIT, activeSchema, caseItem, readCaseListPage, type CaseStatsCache } from '@casestats/read-model';
import { validateCaseQuery } from './case-query';
import type { ExportRules } from './export-rules';
import { Zone } from './zoned-time';

type Query = Record<string, unknown>;
const CASE_LIST_DEFAULT_LIMIT = 100;
/** How long a request waits for a channel's first load (the export app's request timeout is 10 s). */
const LOAD_WAIT_MS = 5000;

function single(query: Query, key: string): string | undefined {
  const v = query[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new AppError('INPUT.INVALID', `${key}: give it once`, [{ field: key, message: 'give it once' }]);
  return v;
}

function intervalOf(query: Query): Interval {
  const v = single(query, 'interval') ?? 'day';
  if (!(INTERVALS as readonly string[]).includes(v)) {
    throw new AppError('EXPORT.INVALID_REQUEST', `interval must be one of ${INTERVALS.join(', ')}`, [{ field: 'interval', code: 'EXPORT.INVALID_REQUEST', message: `one of ${INTERVALS.join(', ')}` }]);
  }
  return v as Interval;
}

function limitOf(query: Query): number {
  const v = single(query, 'limit');
  if (v === undefined || v === '') return CASE_LIST_DEFAULT_LIMIT;
  const n = /^[0-9]{1,4}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= CASE_LIST_MAX_LIMIT)) {
    throw new AppError('INPUT.INVALID', `limit: a whole number from 1 to ${CASE_LIST_MAX_LIMIT}`, [{ field: 'limit', message: `a whole number from 1 to ${CASE_LIST_MAX_LIMIT}` }]);
  }
  return n;
}

/**
 * The dashboard's three reads (dashboard.md, "The API"), each validated by the export's rules:
 * the figures and the filter values from the in-memory table, the case list from PostgreSQL
 * through the export's selection.
 */
export class CaseDashboard {
  constructor(
    private readonly db: DataSource,
    private readonly cache: CaseStatsCache,
    private readonly rules: ExportRules,
    private readonly caseUrl: (channelId: string, userChatId: string) => string,
  ) {}

  /** Stops the in-memory figures' polling (the export app's close). */
  close(): void {
    this.cache.close();
  }

  async stats(channelId: string, query: Query) {
    const q = validateCaseQuery(channelId, query, this.rules, ['interval']);
    const interval = intervalOf(query);
    const zone = new Zone(q.timezone);
    const buckets = bucketStarts(q.from, q.to, interval).map((start) => ({ start, at: zone.startOfDay(start) }));
    const { table, asOf } = await this.cache.view(channelId, LOAD_WAIT_MS);
    const figures = computeStats(table, { from: q.selection.from.getTime(), toExclusive: q.selection.toExclusive.getTime(), buckets, filters: q.filters });
    return {
      channelId,
      from: q.from,
      to: q.to,
      timezone: q.timezone,
      interval,
      filters: q.filters,
      asOf: asOf.toISOString(),
      ...figures,
    };
  }

  async filters(channelId: string, query: Query) {
    const q = validateCaseQuery(channelId, query, this.rules);
    const { table, asOf } = await this.cache.view(channelId, LOAD_WAIT_MS);
    return { channelId, from: q.from, to: q.to, timezone: q.timezone, asOf: asOf.toISOString(), ...caseFilterValues(table, q.selection.from.getTime(), q.selection.toExclusive.getTime()) };
  }

  async cases(channelId: string, query: Query) {
    const q = validateCaseQuery(channelId, query, this.rules, ['limit', 'cursor']);
    const limit = limitOf(query);
    const cursor = single(query, 'cursor');
    const page = await readCaseListPage(this.db, await activeSchema(this.db), q.selection, limit, cursor || undefined);
    return { items: page.items.map((row) => caseItem(row, this.caseUrl)), ...(page.nextCursor && { nextCursor: page.nextCursor }) };
  }
}
