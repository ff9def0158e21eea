import type { DataSource } from 'typeorm';
import { AppError } from '@casestats/config';
import type { PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import { CaseStatsTable, type StatCase } from '@casestats/case-stats';
import { activeSchema } from './projection-registry';
import { readCaseChanges, type FeedPosition } from './case-changes.repository';
import { assertSchemaName } from './projection-schema';

/**
 * The dashboard's figures are computed in memory (libs/case-stats): the plain SQL, percentiles per
 * bucket and group over a million cases, takes seconds. Each channel asked for is loaded once, in
 * one repeatable-read snapshot, then kept fresh by following the case change feed from that
 * snapshot's xmin: every change committed after the snapshot has a log position at or above it,
 * and one applied twice is only written again (upsert by case id), so nothing is missed. A rebuild's
 * switch to another projection schema loads the channel again from the new one. A channel nobody
 * asked for in `idleMs` is dropped.
 */
export interface CaseStatsCacheOptions {
  pollMs?: number;
  idleMs?: number;
  now?: () => number;
  log?: (level: 'warn', message: string, fields: Record<string, unknown>) => void;
}

export interface CaseStatsView {
  table: CaseStatsTable;
  /** Every change committed before this instant is in the table. */
  asOf: Date;
}

interface Channel {
  schema: string;
  table: CaseStatsTable;
  position: FeedPosition;
  asOf: number;
  usedAt: number;
  timer?: NodeJS.Timeout;
  syncing?: Promise<void>;
}

const STAT_COLUMNS = `r.user_chat_case_id, (extract(epoch FROM r.case_created_at) * 1000)::float8 AS created_ms, r.case_state, r.direction,
  r.user_chat_state, r.team_id, r.team_name, r.assignee_id, r.assignee_name, r.medium_name, r.tags, r.reply_count, r.missed_count,
  r.snoozed_count, r.profile -> 'csat' AS csat, r.waiting_time, r.avg_reply_time, r.resolution_time, r.lead_time, r.total_snoozed_time`;

/** A case_records row (the feed's r.*, or STAT_COLUMNS) as the figures read it. */
export function statCaseOf(r: Record<string, unknown>): StatCase {
  return {
    userChatCaseId: r.user_chat_case_id as string,
    userChatCaseCreatedAt: 'created_ms' in r ? (r.created_ms as number) : (r.case_created_at as Date).getTime(),
    userChatCaseState: r.case_state as string,
    direction: r.direction as string,
    userChatState: r.user_chat_state as string,
    teamId: r.team_id as string | null,
    teamName: r.team_name as string | null,
    assigneeId: r.assignee_id as string | null,
    assigneeName: r.assignee_name as string | null,
    mediumName: r.medium_name as string | null,
    tags: (r.tags as string[] | null) ?? [],
    replyCount: r.reply_count as number,
    missedCount: r.missed_count as number,
    snoozedCount: r.snoozed_count as number,
    csat: 'csat' in r ? r.csat : (r.profile as Record<string, unknown> | null)?.csat,
    waitingTime: r.waiting_time as number | null,
    avgReplyTime: r.avg_reply_time as number | null,
    resolutionTime: r.resolution_time as number | null,
    leadTime: r.lead_time as number | null,
    totalSnoozedTime: r.total_snoozed_time as number | null,
  };
}

function loading(ms: number, channelId: string): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(
      () => reject(new AppError('STATS.LOADING', `the case statistics of ${channelId} are being loaded: try again in a few seconds`, [], { retryAfterSeconds: 3 })),
      ms,
    ).unref();
  });
}

export class CaseStatsCache {
  private readonly channels = new Map<string, Promise<Channel>>();
  private readonly pollMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly db: DataSource,
    private readonly options: CaseStatsCacheOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.idleMs = options.idleMs ?? 15 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The channel's table, loading it on first use. A million cases take seconds to load: past
   * `waitMs` the caller is told to come back (STATS.LOADING, 503 with Retry-After) while the
   * load goes on, rather than holding a request past its timeout.
   */
  async view(channelId: string, waitMs = Infinity): Promise<CaseStatsView> {
    let entry = this.channels.get(channelId);
    if (!entry) {
      entry = this.load(channelId).then((c) => {
        this.schedule(channelId, c);
        return c;
      });
      this.channels.set(channelId, entry);
      entry.catch(() => this.channels.delete(channelId));
    }
    const channel = waitMs === Infinity ? await entry : await Promise.race([entry, loading(waitMs, channelId)]);
    channel.usedAt = this.now();
    return { table: channel.table, asOf: new Date(channel.asOf) };
  }

  /** Catches the channel up with every change committed so far (tests; the poll does it on its own). */
  async sync(channelId: string): Promise<void> {
    const entry = this.channels.get(channelId);
    if (entry) await this.syncChannel(channelId, await entry);
  }

  close(): void {
    this.closed = true;
    for (const entry of this.channels.values()) entry.then((c) => clearTimeout(c.timer), () => undefined);
    this.channels.clear();
  }

  private async load(channelId: string): Promise<Channel> {
    const runner = this.db.createQueryRunner('slave');
    const client = (await runner.connect()) as PoolClient;
    try {
      const startedAt = this.now();
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query('SET LOCAL jit = off');
      const schema = assertSchemaName(await activeSchema(this.db));
      const { rows } = await client.query<{ xmin: string }>(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
      const table = new CaseStatsTable();
      const cursor = client.query(new Cursor(`SELECT ${STAT_COLUMNS} FROM ${schema}.case_records r WHERE r.channel_id = $1 ORDER BY r.case_created_at`, [channelId]));
      try {
        for (let batch = await cursor.read(10_000); batch.length; batch = await cursor.read(10_000)) for (const r of batch) table.upsert(statCaseOf(r));
      } finally {
        await cursor.close();
      }
      await client.query('COMMIT');
      return { schema, table, position: { xid: rows[0].xmin, chunk: 0, ord: 0 }, asOf: startedAt, usedAt: this.now() };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  private schedule(channelId: string, channel: Channel): void {
    if (this.closed) return;
    channel.timer = setTimeout(() => {
      if (this.now() - channel.usedAt > this.idleMs) {
        this.channels.delete(channelId);
        return;
      }
      this.syncChannel(channelId, channel)
        .catch((err) => this.options.log?.('warn', 'case statistics could not follow the change feed', { channelId, error: (err as Error).message }))
        .finally(() => this.schedule(channelId, channel));
    }, this.pollMs);
    channel.timer.unref();
  }

  private syncChannel(channelId: string, channel: Channel): Promise<void> {
    // One catch-up at a time: a second caller waits for the one under way, then its own.
    const run = async () => {
      const startedAt = this.now();
      const schema = await activeSchema(this.db);
      if (schema !== channel.schema) {
        // A rebuild switched: positions of the old schema mean nothing in the new one.
        const { table, position, asOf } = await this.load(channelId);
        Object.assign(channel, { schema, table, position, asOf });
        return;
      }
      for (;;) {
        const page = await readCaseChanges(this.db, schema, channelId, channel.position, 1000);
        for (const r of page.rows) channel.table.upsert(statCaseOf(r.record));
        channel.position = page.next;
        if (!page.hasMore) break;
      }
      channel.asOf = startedAt;
    };
    const next = (channel.syncing ?? Promise.resolve()).catch(() => undefined).then(run);
    channel.syncing = next;
    return next;
  }
}
