import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CASE_TIME_FIELDS,
  SCENARIOS_FILE,
  TestDatabase,
  createTestDatabase,
  expectedCases,
  expectedUsers,
  readEncryptedXlsx,
  runCasestats,
  sheetObjects,
  compareWithLibreOffice,
  exportInfoOf,
} from '@casestats/testing';

const PASSWORD = 'Secret42';
const TIME_FIELDS = new Set<string>(CASE_TIME_FIELDS);

/** Expected UTC instant → the wall time in Seoul (UTC+9, no DST) to the second it is in, as the reader prints it. */
function seoul(isoUtc: string): string {
  return new Date(Math.floor((Date.parse(isoUtc) + 9 * 3_600_000) / 1000) * 1000).toISOString().slice(0, 23);
}

describe('casestats CLI: fixtures → PostgreSQL → encrypted XLSX', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  const cli = (...args: string[]) => runCasestats(args, env);
  const exportArgs = (overrides: Record<string, string> = {}, extra: string[] = []) => {
    const o = { channel: 'ch-1', from: '2025-06-26', to: '2025-12-26', password: PASSWORD, reason: 'monthly review', out: join(dir, 'out.xlsx'), timezone: 'Asia/Seoul', ...overrides };
    return ['export', ...Object.entries(o).flatMap(([k, v]) => [`--${k}`, v]), ...extra];
  };
  const dump = async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const cases = await c.query('SELECT * FROM proj_1.case_records ORDER BY channel_id, user_chat_case_id');
      const chats = await c.query('SELECT * FROM proj_1.chat_states ORDER BY channel_id, user_chat_id');
      const users = await c.query('SELECT * FROM proj_1.users ORDER BY channel_id, user_id');
      return JSON.stringify([cases.rows, chats.rows, users.rows]);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('cs_cli');
    env = { DATABASE_URL: db.url };
    dir = mkdtempSync(join(tmpdir(), 'casestats-cli-'));
    expect((await cli('migrate')).code).toBe(0);
    const projected = await cli('project', '--events', SCENARIOS_FILE);
    expect(projected.stderr).toBe('');
    expect(projected.stdout).toContain('57 applied, 3 duplicate, 0 invalid');
    expect(projected.code).toBe(0);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('re-projecting the same file changes nothing', async () => {
    const before = await dump();
    const again = await cli('project', '--events', SCENARIOS_FILE);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 applied, 60 duplicate, 0 invalid');
    expect(await dump()).toBe(before);
  });

  it('exports every ch-1 record, cell for cell, in Seoul time, readable by an independent decryptor', async () => {
    const out = join(dir, 'all.xlsx');
    const result = await cli(...exportArgs({ out }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(dir).filter((f) => f.includes('all'))).toEqual(['all.xlsx']);

    const book = await readEncryptedXlsx(out, PASSWORD);
    expect(book.order).toEqual(['Case data', 'User data', 'Export info', '필드 설명']);
    const expected = expectedCases()
      .filter((e) => e.channelId === 'ch-1')
      .sort((a, b) => String(a.userChatCaseCreatedAt).localeCompare(String(b.userChatCaseCreatedAt)));
    const header = book.sheets['Case data'][0].map((c) => c?.v);
    const expectedHeader = Object.keys(expected[0]).filter((k) => k !== 'channelId');
    expect(header).toEqual(expectedHeader);

    const rows = book.sheets['Case data'].slice(1);
    expect(rows).toHaveLength(expected.length);
    rows.forEach((row, r) => {
      header.forEach((key, c) => {
        const want = expected[r][String(key)] ?? null;
        const cell = row[c];
        if (want === null) return expect(cell, `${r}:${key}`).toBeNull();
        if (TIME_FIELDS.has(String(key))) {
          expect(cell, `${r}:${key}`).toEqual({ t: 'd', v: seoul(String(want)), fmt: 'yyyy-mm-dd hh:mm:ss' });
        } else if (typeof want === 'number') {
          expect(cell, `${r}:${key}`).toMatchObject({ t: 'n', v: want });
        } else {
          expect(cell, `${r}:${key}`).toMatchObject({ t: 's', v: want });
        }
      });
    });

    const users = sheetObjects(book, 'User data');
    const wantUsers = expectedUsers()
      .filter((u) => u.channelId === 'ch-1')
      .map(({ channelId: _c, ...u }) => u);
    expect(users.map((u) => Object.fromEntries(Object.entries(u).filter(([, v]) => v !== null)))).toEqual(wantUsers);

    const info = exportInfoOf(book);
    expect(info).toMatchObject({ channel: 'ch-1', from: '2025-06-26', to: '2025-12-26', timezone: 'Asia/Seoul', reason: 'monthly review', caseRows: 7, userRows: 3 });

    // A real spreadsheet application puts every cell where openpyxl did, so where it belongs
    // (a cell carries its reference only after a gap), and shows the same text and times.
    const office = await compareWithLibreOffice(out, PASSWORD);
    expect(office.mismatches).toEqual([]);
    expect(Object.keys(office.sheets)).toEqual(['Case data', 'User data', 'Export info', '필드 설명']);
    expect(office.sheets['Case data']).toBe(book.sheets['Case data'].flat().filter((c) => c !== null).length);
  }, 240_000);

  it('never mixes channels: ch-2 exports only its own case and user', async () => {
    const out = join(dir, 'ch2.xlsx');
    expect((await cli(...exportArgs({ channel: 'ch-2', out }))).code).toBe(0);
    const book = await readEncryptedXlsx(out, PASSWORD);
    expect(sheetObjects(book, 'Case data').map((r) => r.userChatCaseId)).toEqual(['uc-other-1']);
    expect(sheetObjects(book, 'User data').map((r) => r.userId)).toEqual(['u-9']);
  });

  it.each([
    [['--team', 't-1'], ['uc-basic-1']],
    [['--direction', 'OUTBOUND'], ['uc-phone-3', 'uc-v1-1']],
    [['--tag', '환불', '--tag', 'nope'], ['uc-basic-1']],
    [['--case-state', 'inProgress'], ['uc-phone-3', 'uc-v1-1']],
    [['--medium', 'phoneNumber', '--case-state', 'completed'], ['uc-phone-1', 'uc-phone-2']],
    [['--chat-state', 'open'], ['uc-phone-3', 'uc-v1-1']],
  ])('filters %j', async (flags, ids) => {
    const out = join(dir, `f-${flags.join('-')}.xlsx`);
    const r = await cli(...exportArgs({ out }, flags));
    expect(r.code, r.stderr).toBe(0);
    const book = await readEncryptedXlsx(out, PASSWORD);
    expect(sheetObjects(book, 'Case data').map((x) => x.userChatCaseId)).toEqual(ids);
  });

  it('selects by case creation day in the requested timezone', async () => {
    // uc-basic-1 starts 2025-07-01T01:00Z: July 1 in Seoul, June 30 in Los Angeles.
    const seoulDay = join(dir, 'seoul-day.xlsx');
    expect((await cli(...exportArgs({ from: '2025-07-01', to: '2025-07-01', out: seoulDay }))).code).toBe(0);
    expect(sheetObjects(await readEncryptedXlsx(seoulDay, PASSWORD), 'Case data').map((x) => x.userChatCaseId)).toEqual(['uc-basic-1']);
    const laDay = join(dir, 'la-day.xlsx');
    expect((await cli(...exportArgs({ from: '2025-06-30', to: '2025-06-30', timezone: 'America/Los_Angeles', out: laDay }))).code).toBe(0);
    const la = await readEncryptedXlsx(laDay, PASSWORD);
    expect(sheetObjects(la, 'Case data').map((x) => x.userChatCaseId)).toEqual(['uc-basic-1']);
    // Shown in Los Angeles time (PDT, UTC-7).
    expect(la.sheets['Case data'][1][0]).toMatchObject({ t: 'd', v: '2025-06-30T18:00:00.000' });
  });

  it('accepts the month-end clamp: 2025-08-31 → 2026-02-28', async () => {
    const out = join(dir, 'clamp.xlsx');
    const r = await cli(...exportArgs({ from: '2025-08-31', to: '2026-02-28', out }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0 case rows');
  });

  it.each([
    ['from before the start of case statistics', { from: '2025-06-25' }, /from must be on or after 2025-06-26/],
    ['to before from', { from: '2025-07-10', to: '2025-07-09' }, /to must not be earlier than from/],
    ['more than six months', { from: '2025-06-26', to: '2025-12-27' }, /six months at most.*2025-12-26/],
    ['past the month-end clamp', { from: '2025-08-31', to: '2026-03-01' }, /2026-02-28 at the latest/],
    ['a malformed date', { from: '2025-7-01' }, /from must be a calendar date/],
    ['an impossible date', { to: '2025-02-30' }, /to must be a calendar date/],
    ['an unknown timezone', { timezone: 'Mars/Olympus' }, /timezone "Mars\/Olympus" is not an IANA time zone/],
    ['a password with other characters', { password: 'pass word!' }, /password must be 4 to 64 letters/],
    ['a password too short', { password: 'abc' }, /password must be 4 to 64 letters/],
    ['a password too long', { password: 'a'.repeat(65) }, /password must be 4 to 64 letters/],
    ['a blank reason', { reason: '   ' }, /reason is required/],
    ['a reason too long', { reason: 'x'.repeat(501) }, /reason is required: 1 to 500/],
  ])('refuses %s with exit code 2, before any work', async (_name, overrides, message) => {
    const out = join(dir, `refused-${Math.random().toString(36).slice(2)}.xlsx`);
    const r = await cli(...exportArgs({ ...overrides, out }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('pass word!');
    expect(readdirSync(dir).some((f) => f.includes('refused'))).toBe(false);
  });

  it('refuses a missing password or reason', async () => {
    const noReason = exportArgs().filter((a, i, all) => a !== '--reason' && all[i - 1] !== '--reason');
    const r = await cli(...noReason);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/reason is required/);
    const noPassword = exportArgs().filter((a, i, all) => a !== '--password' && all[i - 1] !== '--password');
    const p = await cli(...noPassword);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/password is required/);
  });

  it('refuses more cases than the cap with the count, never truncating', async () => {
    const out = join(dir, 'capped.xlsx');
    const r = await runCasestats(exportArgs({ out }), { ...env, EXPORT_MAX_ROWS: '6' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/7 cases match; an export holds at most 6/);
    expect(readdirSync(dir)).not.toContain('capped.xlsx');
  });

  it('dead-letters invalid lines with their line number and reason, and applies the rest', async () => {
    const file = join(dir, 'mixed.ndjson');
    const good = (id: string, type: string, data: object) =>
      JSON.stringify({ id, type, version: 2, occurredAt: '2025-08-01T00:00:00.000Z', channelId: 'ch-3', userChatId: 'uc-dl', data });
    writeFileSync(
      file,
      [
        good('dl-1', 'userChat.created', { user: { id: 'u-dl', name: 'Dee' }, medium: { name: 'email' } }),
        '{not json',
        good('dl-2', 'userChat.teleported', {}),
        good('dl-3', 'userChat.opened', { assignment: 'robot' }),
        JSON.stringify({ id: 'dl-4', type: 'userChat.queued', version: 2, occurredAt: '2025-08-01T00:00:00.000Z', channelId: 'ch-3', data: {} }),
        good('dl-5', 'userChat.opened', { assignment: 'auto' }),
      ].join('\n'),
    );
    const r = await cli('project', '--events', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 applied, 0 duplicate, 4 invalid');
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const letters = await c.query(`SELECT position, code, reason, convert_from(raw, 'UTF8') AS raw FROM dead_letters WHERE source = 'file:mixed.ndjson' ORDER BY position::int`);
    const cases = await c.query(`SELECT user_chat_case_id FROM proj_1.case_records WHERE channel_id = 'ch-3'`);
    await c.end();
    expect(letters.rows.map((l) => [l.position, l.code])).toEqual([
      ['2', 'EVENT.INVALID_JSON'],
      ['3', 'EVENT.UNKNOWN_TYPE'],
      ['4', 'EVENT.INVALID_DATA'],
      ['5', 'EVENT.INVALID_ENVELOPE'],
    ]);
    expect(letters.rows[2].reason).toMatch(/data\.assignment: expected one of auto, manual/);
    expect(letters.rows[3].reason).toMatch(/userChatId/);
    expect(letters.rows[0].raw).toBe('{not json');
    expect(cases.rows).toEqual([{ user_chat_case_id: 'uc-dl-1' }]);
  });

  it('refuses to sign or check tokens without EXPORT_JWT_SECRET, naming it; signs with it when set', async () => {
    for (const args of [['token', '--channel', 'ch-1', '--member', 'm1'], ['serve']]) {
      const refused = await runCasestats(args, { ...env, EXPORT_JWT_SECRET: '' });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/EXPORT_JWT_SECRET is not set/);
    }
    const signed = await runCasestats(['token', '--channel', 'ch-1', '--member', 'm1'], { ...env, EXPORT_JWT_SECRET: 'a-long-enough-test-secret' });
    expect(signed.code).toBe(0);
    expect(signed.stdout.trim().split('.')).toHaveLength(3);
  });

  it('says what is wrong for a missing events file or an unknown command', async () => {
    const missing = await cli('project', '--events', join(dir, 'nope.ndjson'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
