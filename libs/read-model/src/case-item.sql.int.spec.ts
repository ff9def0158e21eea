import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASE_FIELDS } from '@casestats/case-projection';
import { parseEvent } from '@casestats/events';
import { applyBatch } from '@casestats/projection-write';
import { createMigratedDatabase, expectedCases, scenarioLines } from '@casestats/testing';
import { type CaseItemRow, caseItem, caseItemColumns } from './case-item.sql';
import { sweepDueCases } from './sweep';
import { readCaseFeed } from './case-feed';

/** The item (caseItemColumns, caseItemWriter), beyond what the fixtures hold: profile values of every JSON type, key order, tags, nulls. */
describe('case item', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  const url = (c: string, u: string) => `https://desk.example/${c}/${u}`;
  const itemOf = async (id: string) =>
    caseItem((await db.dataSource.query(`SELECT ${caseItemColumns('r')} FROM proj_1.case_records r WHERE user_chat_case_id = $1`, [id]))[0], url);

  beforeAll(async () => {
    db = await createMigratedDatabase('cs_caseitem');
    // The fixtures' events, folded in file order as one batch (the sources live above this library).
    const events = scenarioLines().flatMap((line) => {
      const parsed = parseEvent(line);
      return parsed.ok ? [parsed.event] : [];
    });
    await applyBatch(db.dataSource, 'proj_1', { events });
    // As `casestats project` ends: every case whose hour after the close has passed is completed.
    await sweepDueCases(db.dataSource, 'proj_1', Date.now());
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('gives every fixture case exactly as expected, its fields in the order of cases.md, with its link', async () => {
    const rows: CaseItemRow[] = await db.dataSource.query(`SELECT ${caseItemColumns('r')} FROM proj_1.case_records r ORDER BY r.user_chat_case_id`);
    const items = rows.map((r) => caseItem(r, url));
    const expected = expectedCases()
      .sort((a, b) => (String(a.userChatCaseId) < String(b.userChatCaseId) ? -1 : 1))
      .map((e) => ({ ...e, userChatUrl: url(e.channelId as string, e.userChatId as string) }));
    expect(items).toEqual(expected);
    const fieldKeys = CASE_FIELDS.filter((f) => f.kind !== 'profile').map((f) => f.key);
    for (const item of items) expect(Object.keys(item).slice(0, fieldKeys.length)).toEqual(fieldKeys);
    // The feed writes the same items from the same columns, streamed as arrays of text.
    for (const channelId of new Set(items.map((i) => i.channelId as string))) {
      const feed = await readCaseFeed(db.dataSource, { channelId, limit: 1000, caseUrl: url });
      const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a.userChatCaseId) < String(b.userChatCaseId) ? -1 : 1);
      expect(feed.items.sort(byId)).toEqual(items.filter((i) => i.channelId === channelId));
    }
  });

  it('turns profile values into numbers or text, sorts custom keys by code point after the fields, and joins tags', async () => {
    const [{ id }] = await db.dataSource.query(`SELECT user_chat_case_id AS id FROM proj_1.case_records ORDER BY 1 LIMIT 1`);
    await db.dataSource.query(
      `UPDATE proj_1.case_records SET tags = ARRAY['환불', 'a, b'], first_replied_at = timestamptz '2025-07-01 00:00:01.2349+00', closed_at = timestamptz '2025-07-01 00:00:02.5+00',
              profile = '{"csat": 4.0, "csatComment": null, "zeta": "z", "b": true, "a": 1.5, "n": null, "한글": "값", "Z": 0}'::jsonb
        WHERE user_chat_case_id = $1`,
      [id],
    );
    const item = await itemOf(id);
    expect(item).toMatchObject({ tags: '환불, a, b', firstRepliedAt: '2025-07-01T00:00:01.234Z', closedAt: '2025-07-01T00:00:02.500Z', 'profile.csat': 4, 'profile.csatComment': null });
    expect(Object.entries(item).filter(([k]) => k.startsWith('profile.') && !['profile.csat', 'profile.csatComment'].includes(k))).toEqual([
      ['profile.Z', 0],
      ['profile.a', 1.5],
      ['profile.b', 'true'],
      ['profile.n', null],
      ['profile.zeta', 'z'],
      ['profile.한글', '값'],
    ]);
    await db.dataSource.query(`UPDATE proj_1.case_records SET tags = '{}', profile = '{}' WHERE user_chat_case_id = $1`, [id]);
    expect(await itemOf(id)).toMatchObject({ tags: null, 'profile.csat': null, 'profile.csatComment': null });
  });
});
