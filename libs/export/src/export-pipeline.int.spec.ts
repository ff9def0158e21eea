import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent, type CaseStatsEvent } from '@casestats/events';
import { applyBatch, countCases, sweepDueCases } from '@casestats/read-model';
import { simulate } from '@casestats/simulator';
import { execFileSync } from 'node:child_process';
import { PYTHON, createMigratedDatabase, readEncryptedXlsx, type ReadWorkbook } from '@casestats/testing';
import { runExport } from './export-pipeline';
import { validateExportRequest } from './export-rules';

/**
 * The case rows are read and rendered by worker threads, each taking every n-th time slice, and
 * merged back in order. Whatever the number of workers and slices, the file must be the same.
 */
describe('runExport with render workers', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  const dir = mkdtempSync(join(tmpdir(), 'export-pipeline-'));
  const request = validateExportRequest(
    'ch-1',
    { from: '2025-07-01', to: '2025-07-08', password: 'Pipeline1', reason: 'worker test', timezone: 'Asia/Seoul' },
    { statsStartDate: '2025-06-26', defaultTimezone: 'Asia/Seoul' },
  );

  beforeAll(async () => {
    db = await createMigratedDatabase('cs_pipeline');
    const events: CaseStatsEvent[] = [];
    for (const wire of simulate({ chats: 600, seed: 11, days: 8, channels: 1 })) {
      const parsed = parseEvent(JSON.stringify(wire));
      if (parsed.ok) events.push(parsed.event);
    }
    for (let i = 0; i < events.length; i += 5000) await applyBatch(db.dataSource, 'proj_1', { events: events.slice(i, i + 5000) });
    await sweepDueCases(db.dataSource, 'proj_1', Date.parse('2026-01-01T00:00:00Z'));
  });
  afterAll(async () => {
    await db?.dataSource.destroy();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Row numbers in the order the sheet XML holds them: Excel needs them ascending, and openpyxl would not mind. */
  function rowNumbersInFileOrder(path: string): number[] {
    const script = [
      'import io, re, sys, zipfile, msoffcrypto',
      'f = msoffcrypto.OfficeFile(open(sys.argv[1], "rb")); f.load_key(password=sys.argv[2]); out = io.BytesIO(); f.decrypt(out)',
      'xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()',
      'print(",".join(re.findall(r\'<row r="(\\d+)"\', xml)))',
    ].join('\n');
    return execFileSync(PYTHON, ['-c', script, path, 'Pipeline1'], { encoding: 'utf8' }).trim().split(',').map(Number);
  }

  async function exportWith(name: string, renderWorkers?: number, sliceMs?: number, req = request): Promise<{ book: ReadWorkbook; caseRows: number }> {
    const out = join(dir, `${name}.xlsx`);
    const result = await runExport({
      db: db.dataSource,
      request: req,
      outPath: out,
      maxRows: 1_000_000,
      caseUrlTemplate: 'https://desk.example/{channelId}/{userChatId}',
      exportedBy: { id: 'spec' },
      asOf: new Date('2026-01-01T00:00:00Z'),
      spinCount: 1000,
      renderWorkers,
      sliceMs,
    });
    return { book: await readEncryptedXlsx(out, 'Pipeline1'), caseRows: result.caseRows };
  }

  it('writes the same sheets with one worker and one slice as with three workers and hourly slices', async () => {
    const expected = await countCases(db.dataSource, 'proj_1', request.selection);
    expect(expected).toBeGreaterThan(300);
    const single = await exportWith('single', 1, 30 * 86_400_000);
    const sliced = await exportWith('sliced', 3, 3_600_000);
    const byDefault = await exportWith('default');
    expect(single.caseRows).toBe(expected);
    expect(sliced.caseRows).toBe(expected);
    const cases = single.book.sheets['Case data']!;
    expect(cases.length).toBe(expected + 1);
    // Export order: by creation time (the first column), which slicing must not disturb.
    const created = cases.slice(1).map((r) => r[0]!.v as number);
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(sliced.book.sheets['Case data']).toEqual(cases);
    expect(byDefault.book.sheets['Case data']).toEqual(cases);
    expect(sliced.book.sheets['User data']).toEqual(single.book.sheets['User data']);
    expect(rowNumbersInFileOrder(join(dir, 'sliced.xlsx'))).toEqual(Array.from({ length: expected + 1 }, (_, i) => i + 1));
  });

  it('writes the same sheets when workers that joined the snapshot get no slice', async () => {
    const single = await exportWith('one-worker', 1);
    // Three workers join the snapshot as soon as the count is known; one 30-day slice leaves two without work.
    const idle = await exportWith('idle-workers', 3, 30 * 86_400_000);
    expect(idle.caseRows).toBe(single.caseRows);
    expect(idle.book.sheets['Case data']).toEqual(single.book.sheets['Case data']);
    expect(idle.book.sheets['User data']).toEqual(single.book.sheets['User data']);
  });

  it('writes the header alone when no case matches', async () => {
    const none = validateExportRequest(
      'ch-1',
      { from: '2025-09-01', to: '2025-09-02', password: 'Pipeline1', reason: 'worker test', timezone: 'Asia/Seoul' },
      { statsStartDate: '2025-06-26', defaultTimezone: 'Asia/Seoul' },
    );
    const empty = await exportWith('empty', 3, 3_600_000, none);
    expect(empty.caseRows).toBe(0);
    expect(empty.book.sheets['Case data']!.length).toBe(1);
    expect(empty.book.sheets['User data']!.length).toBe(1);
  });
});
