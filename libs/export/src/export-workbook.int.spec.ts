import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent, type CaseStatsEvent } from '@casestats/events';
import { SHEET_CASE_FIELDS } from '@casestats/case-projection';
import { applyBatch } from '@casestats/read-model';
import { compareWithLibreOffice, createMigratedDatabase, exportInfoOf, readEncryptedXlsx, sheetObjects, type ReadWorkbook } from '@casestats/testing';
import { runExport, type ExportRunOptions } from './export-pipeline';
import { validateExportRequest } from './export-rules';
import { SECONDS_AS_TIME_FORMULA } from './export-info';

const PASSWORD = 'Workbook1';

/** The file as a person opens it: their language, a guide to the columns, filters, people in the order they read ids. */
describe('the export workbook', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  const dir = mkdtempSync(join(tmpdir(), 'export-workbook-'));
  const request = validateExportRequest(
    'ch-1',
    { from: '2025-07-01', to: '2025-07-02', password: PASSWORD, reason: '월간 점검', timezone: 'Asia/Seoul', filters: { tags: ['환불'] } },
    { statsStartDate: '2025-06-26', defaultTimezone: 'Asia/Seoul' },
  );

  let n = 0;
  const event = (type: string, minute: number, data: object, chat?: string): CaseStatsEvent => {
    const wire = { id: `e-${++n}`, type, version: 2, occurredAt: new Date(Date.UTC(2025, 6, 1, 1, minute)).toISOString(), channelId: 'ch-1', data };
    const parsed = parseEvent(JSON.stringify(chat ? { ...wire, userChatId: chat } : wire));
    if (!parsed.ok) throw new Error(parsed.error.reason);
    return parsed.event;
  };

  beforeAll(async () => {
    db = await createMigratedDatabase('cs_workbook');
    const events: CaseStatsEvent[] = [];
    // Three customers whose ids sort differently as text (u-1-10 < u-1-2 < u-1-9) and as people read them.
    ['u-1-10', 'u-1-2', 'u-1-9'].forEach((user, i) => {
      const chat = `uc-${i}`;
      events.push(
        event('userChat.created', i, { user: { id: user, name: `고객 ${i}` }, medium: { name: 'inAppChat' } }, chat),
        event('userChat.queued', i, {}, chat),
        event('userChat.tagsChanged', i, { tags: ['환불'] }, chat),
        event('userChat.profileUpdated', i, { profile: { csat: 5, vipCase: i % 2 === 0 } }, chat),
        event('user.updated', i, { user: { id: user, profile: { member: i !== 1, tier: 'gold' } } }),
      );
    });
    await applyBatch(db.dataSource, 'proj_1', { events });
  });
  afterAll(async () => {
    await db?.dataSource.destroy();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function exportAs(name: string, language?: 'ko' | 'en'): Promise<{ path: string; book: ReadWorkbook }> {
    const path = join(dir, `${name}.xlsx`);
    const opts: ExportRunOptions = {
      db: db.dataSource,
      request,
      outPath: path,
      maxRows: 1000,
      caseUrlTemplate: 'https://desk.example/{channelId}/{userChatId}',
      exportedBy: { id: 'm-1', name: '김팀장' },
      asOf: new Date('2025-07-10T00:00:00Z'),
      spinCount: 1000,
      language,
    };
    await runExport(opts);
    return { path, book: await readEncryptedXlsx(path, PASSWORD) };
  }

  it('speaks Korean by default: Export info and the field guide, with the Case data header still the keys', async () => {
    const { path, book } = await exportAs('ko');
    expect(book.order).toEqual(['Case data', 'User data', 'Export info', '필드 설명']);
    expect(book.sheets['Case data'][0].slice(0, 3).map((c) => c?.v)).toEqual(['userChatCaseCreatedAt', 'userChatCase', 'userChatCaseId']);

    const info = book.sheets['Export info'];
    expect(info[0].map((c) => c?.v)).toEqual(['항목', '값']);
    const byLabel = Object.fromEntries(info.slice(1).map((r) => [r[0]?.v, r[1]?.v]));
    expect(byLabel).toMatchObject({ 채널: 'ch-1', 시작일: '2025-07-01', 종료일: '2025-07-02', 필터: '태그: 환불', '다운로드 사유': '월간 점검', '다운로드한 사람': '김팀장 (m-1)', '케이스 행 수': 3, '고객 행 수': 3 });
    expect(byLabel['다운로드 시각']).toBe('2025-07-10 09:00:00 (Asia/Seoul)');
    expect(String(byLabel['기준 시점'])).toContain('inProgress');
    expect(exportInfoOf(book)).toMatchObject({ channel: 'ch-1', caseRows: 3, userRows: 3 });

    const guide = sheetObjects(book, '필드 설명');
    expect(book.sheets['필드 설명'][0].map((c) => c?.v)).toEqual(['데이터 값', '항목명', '단위', '설명·비고']);
    // One row per Case data column, in its order, from the field table.
    expect(guide.slice(0, SHEET_CASE_FIELDS.length).map((r) => r['데이터 값'])).toEqual(SHEET_CASE_FIELDS.map((f) => f.key));
    const row = (key: string) => guide.find((r) => r['데이터 값'] === key)!;
    expect(row('userChatCaseCreatedAt')).toMatchObject({ 항목명: '기록 시작' });
    expect(row('userChatCase')).toMatchObject({ 항목명: '케이스' });
    expect(row('userChatCaseId')).toMatchObject({ 항목명: '케이스 ID' });
    expect(row('waitingTime')).toMatchObject({ 항목명: '첫 응대 시간', 단위: '초' });
    expect(String(row('waitingTime')['설명·비고'])).toContain('firstRepliedAt - min(firstOpenedAt, firstQueuedAt, firstAskedAt)');
    expect(row('leadTime')).toMatchObject({ 단위: '초' });
    // The tip is text to copy, never a formula the file would run.
    const tip = book.sheets['필드 설명'].flat().filter((c) => c && String(c.v).includes('86400'));
    expect(tip).toEqual([{ t: 's', v: SECONDS_AS_TIME_FORMULA, fmt: 'General' }]);

    // LibreOffice shows every cell as openpyxl reads it, booleans included, and keeps the filters
    // when it saves the file again (a headless save keeps no view, so the frozen panes are not compared).
    const office = await compareWithLibreOffice(path, PASSWORD);
    expect(office.mismatches).toEqual([]);
    expect(office.layout['Case data'].autoFilter).toBe('A1:AS4');
    expect(office.layout['User data'].autoFilter).toBe('A1:D4');
    expect(office.layout['Export info'].autoFilter).toBeNull();
  }, 240_000);

  it('speaks English when asked', async () => {
    const { book } = await exportAs('en', 'en');
    expect(book.order).toEqual(['Case data', 'User data', 'Export info', 'Field guide']);
    const info = Object.fromEntries(sheetObjects(book, 'Export info').map((r) => [r.field, r.value]));
    expect(info).toMatchObject({ channel: 'ch-1', filters: 'tags: 환불', reason: '월간 점검', caseRows: 3, userRows: 3 });
    expect(sheetObjects(book, 'Field guide').find((r) => r.key === 'waitingTime')).toMatchObject({ label: 'Waiting time', unit: 'seconds' });
  });

  it('freezes the header and filters Case data and User data over all their rows', async () => {
    const { book } = await exportAs('layout');
    // 44 columns and the one custom profile key: A … AS.
    expect(book.sheets['Case data'][0].length).toBe(45);
    expect(book.layout['Case data']).toEqual({ freeze: 'A2', autoFilter: 'A1:AS4' });
    expect(book.layout['User data']).toEqual({ freeze: 'A2', autoFilter: 'A1:D4' });
    expect(book.layout['Export info'].autoFilter).toBeNull();
  });

  it('lists customers by userId as people read it, and writes boolean profile values as booleans', async () => {
    const { book } = await exportAs('users');
    const users = book.sheets['User data'];
    expect(users[0].map((c) => c?.v)).toEqual(['userId', 'name', 'profile.member', 'profile.tier']);
    expect(users.slice(1).map((r) => r[0]?.v)).toEqual(['u-1-2', 'u-1-9', 'u-1-10']);
    expect(users.slice(1).map((r) => r[2])).toEqual([
      { t: 'b', v: false, fmt: 'General' },
      { t: 'b', v: true, fmt: 'General' },
      { t: 'b', v: true, fmt: 'General' },
    ]);
    const cases = sheetObjects(book, 'Case data');
    expect(cases.map((c) => c['profile.vipCase'])).toEqual([true, false, true]);
    const vip = book.sheets['Case data'][0].findIndex((c) => c?.v === 'profile.vipCase');
    expect(book.sheets['Case data'][1][vip]).toMatchObject({ t: 'b' });
  });
});
