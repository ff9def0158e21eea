import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '@casestats/events';
import { createMigratedDatabase } from '@casestats/testing';
import { applyBatch } from '@casestats/projection-write';
import { migrate } from './database';
import { CASE_RECORDS_FILLFACTOR, projectionDdl } from './projection-schema';

describe('migrations and TypeORM entities', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  beforeAll(async () => {
    db = await createMigratedDatabase('cs_schema');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('agree: the entities describe exactly what the migrations create', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('run once: a second migrate does nothing', async () => {
    expect(await db.dataSource.runMigrations()).toEqual([]);
  });

  it('upgrade a schema projected before event ids lived in the state: its processed_events still count as applied', async () => {
    const q = (sql: string, params?: unknown[]) => db.dataSource.query(sql, params);
    // The database as the first two migrations left it, with one chat projected the old way.
    await q(`ALTER TABLE proj_1.chat_states DROP COLUMN event_ids`);
    await q(`ALTER TABLE proj_1.users DROP COLUMN event_ids`);
    await q(`DELETE FROM typeorm_migrations WHERE name = 'EventIdsInState1764000200000'`);
    const event = (id: string, type: string, data: object) => {
      const parsed = parseEvent(JSON.stringify({ id, type, version: 2, occurredAt: '2025-08-01T00:00:00.000Z', channelId: 'ch-u', userChatId: 'uc-old', data }));
      if (!parsed.ok) throw new Error(parsed.error.reason);
      return parsed.event;
    };
    await q(`INSERT INTO proj_1.processed_events (event_id) VALUES ('old-1'), ('old-user-1')`);

    await migrate(db.dataSource);
    const [cols] = await q(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'proj_1' AND column_name = 'event_ids'`,
    );
    expect(cols.n).toBe(2);
    const stats = await applyBatch(db.dataSource, 'proj_1', {
      events: [
        event('old-1', 'userChat.opened', { assignment: 'auto' }),
        event('new-1', 'userChat.opened', { assignment: 'manual' }),
        event('old-user-1', 'user.updated', { user: { id: 'u-1', name: 'Kim' } }),
      ],
    });
    expect(stats).toMatchObject({ applied: 1, duplicates: 2 });
    const [chat] = await q(`SELECT event_ids, state->'cases'->0->>'firstAssignment' AS first FROM proj_1.chat_states WHERE user_chat_id = 'uc-old'`);
    expect(chat).toEqual({ event_ids: ['new-1'], first: 'manual' });
  });

  it('leave room on the case-record pages, in the migrated schema and in a rebuild\'s fresh one; the projector\'s rewrites change no indexed column, so they are HOT updates', async () => {
    const q = (sql: string, params?: unknown[]) => db.dataSource.query(sql, params);
    for (const sql of projectionDdl('proj_7')) await q(sql);
    const options = await q(
      `SELECT n.nspname AS schema, c.relname AS table, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('proj_1', 'proj_7') AND c.relname IN ('chat_states', 'case_records') ORDER BY 1, 2`,
    );
    const cases = [`fillfactor=${CASE_RECORDS_FILLFACTOR}`];
    expect(options).toEqual([
      { schema: 'proj_1', table: 'case_records', reloptions: cases },
      { schema: 'proj_1', table: 'chat_states', reloptions: null },
      { schema: 'proj_7', table: 'case_records', reloptions: cases },
      { schema: 'proj_7', table: 'chat_states', reloptions: null },
    ]);

    const event = (id: string, type: string, data: object, minute: number) => {
      const at = new Date(Date.UTC(2025, 7, 1, 0, minute)).toISOString();
      const parsed = parseEvent(JSON.stringify({ id, type, version: 2, occurredAt: at, channelId: 'ch-hot', userChatId: 'uc-hot', data }));
      if (!parsed.ok) throw new Error(parsed.error.reason);
      return parsed.event;
    };
    const created = { user: { id: 'u-hot', name: 'Lee' }, medium: { name: 'inAppChat' } };
    await applyBatch(db.dataSource, 'proj_7', { events: [event('h-1', 'userChat.created', created, 0), event('h-2', 'userChat.queued', {}, 1)] });
    for (let i = 3; i < 8; i++) {
      await applyBatch(db.dataSource, 'proj_7', { events: [event(`h-${i}`, 'message.created', { personType: i % 2 ? 'user' : 'manager' }, i)] });
    }
    // The statistics reach pg_stat_user_tables within a second or so of each transaction's end.
    const hot = async () =>
      q(`SELECT relname, n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot FROM pg_stat_user_tables WHERE schemaname = 'proj_7' AND relname IN ('chat_states', 'case_records') ORDER BY 1`);
    const deadline = Date.now() + 10_000;
    let rows = await hot();
    while (rows.some((r: { upd: number }) => r.upd < 5) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await hot();
    }
    expect(rows).toEqual([
      { relname: 'case_records', upd: 5, hot: 5 },
      { relname: 'chat_states', upd: 5, hot: 5 },
    ]);
  });
});
