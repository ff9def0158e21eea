import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '@casestats/events';
import { createMigratedDatabase } from '@casestats/testing';
import { applyBatch } from './apply-batch';
import { migrate } from './database';

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
});
