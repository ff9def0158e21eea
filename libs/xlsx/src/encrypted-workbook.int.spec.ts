import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncryptedWorkbook, toExcelSerial, type CellValue, type ColumnSpec } from './index';
import { findPython, readWithPython, type PyCell } from './spec-support/python-reader';
import { openWithXlsxPopulate } from './spec-support/xlsx-populate';

const PASSWORD = 'Secret1234';
const SPIN = 1000; // Excel uses 100,000; the tests only need the same algorithm, faster.

let root: string;
beforeAll(() => {
  findPython(); // fail early, and clearly, when the independent reader is missing
  root = mkdtempSync(join(tmpdir(), 'xlsx-int-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const freshDir = () => mkdtempSync(join(root, 'case-'));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Excel's ST_Xstring escapes as Excel reads them back; openpyxl and xlsx-populate leave them as text. */
const excelUnescape = (s: string) => s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0) => Date.UTC(y, mo - 1, d, h, mi, s, ms);
const KST = 9 * 60;

interface SheetCase {
  name: string;
  columns: ColumnSpec[];
  rows: CellValue[][];
  autoFilter?: boolean;
}

const CASE_SHEET: SheetCase = {
  name: 'Case data',
  autoFilter: true,
  columns: [
    { header: 'createdAt', kind: 'date' },
    { header: 'caseId', kind: 'string', width: 24 },
    { header: 'count', kind: 'number' },
    { header: 'text', kind: 'string', width: 50 },
    { header: 'closedAt', kind: 'date', width: 22 },
  ],
  rows: [
    [toExcelSerial(at(2025, 6, 26, 0, 0, 0), KST), 'case-1', 0, '안녕하세요, 상담 문의입니다', toExcelSerial(at(2025, 6, 26, 3, 4, 5, 678), KST)],
    [toExcelSerial(at(2025, 12, 31, 14, 59, 59), KST), 'case-2', -1.5, '=HYPERLINK("http://evil.example","click")', null],
    [null, 'case-3', 123456789012, '+1 234', undefined],
    [toExcelSerial(at(2026, 2, 28, 23, 0, 0), 0), '0123', 1e-7, '-5', toExcelSerial(at(2026, 3, 1, 0, 0, 0), 0)],
    [undefined, '@SUM(A1:A2)', null, 'ctrl a\u0001b\u0008c\u001fd', null],
    [null, '  padded  ', 42, 'line1\nline2\ttab\r\nCRLF', null],
    [null, '<b>&amp;</b> "q" \'a\'', 7, '_x0041_ is not A', null],
    [null, '😀 emoji', 8, 'lone \ud800 surrogate', null],
    [null, '', 9, 'x'.repeat(40_000), null],
    [],
  ],
};

const USER_SHEET: SheetCase = {
  name: '사용자 데이터',
  autoFilter: true,
  columns: [
    { header: 'userId', kind: 'string' },
    { header: 'name', kind: 'string' },
    { header: 'profile.age', kind: 'number' },
    { header: 'profile.vip', kind: 'string' },
  ],
  rows: [
    ['u1', '김민준', 31, true],
    ['u2', 'Maria García', null, false],
    ['u3', null, 7.25],
  ],
};

const INFO_SHEET: SheetCase = {
  name: 'Export info',
  columns: [
    { header: 'field', kind: 'string', width: 18 },
    { header: 'value', kind: 'string', width: 60 },
  ],
  rows: [
    ['channel', 'ch-1'],
    ['caseRows', 10],
    ['reason', '=cmd|" /C calc"!A0'],
  ],
};

/** What a cell should read as, from what was written. */
function expected(value: CellValue, kind: ColumnSpec['kind']): { t: string; v: string | number | boolean; fmt: string } | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'boolean') return { t: 'b', v: value, fmt: 'General' };
  if (typeof value === 'number') {
    if (kind === 'date') {
      const ms = Math.round((value - 25_569) * 86_400_000);
      return { t: 'd', v: new Date(ms).toISOString().replace('Z', ''), fmt: 'yyyy-mm-dd hh:mm:ss' };
    }
    return { t: 'n', v: value, fmt: 'General' };
  }
  let text = value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  // Past Excel's limit: cut, and marked with an ellipsis within it.
  if (text.length > 32_767) text = text.slice(0, /[\ud800-\udbff]/.test(text[32_765]) ? 32_765 : 32_766) + '…';
  return { t: 's', v: text, fmt: 'General' };
}

async function writeBook(path: string, sheets: SheetCase[], extra: { zip64Threshold?: number; cellReferences?: 'all' | 'afterGaps' } = {}) {
  const book = await createEncryptedWorkbook({ path, password: PASSWORD, spinCount: SPIN, ...extra });
  for (const s of sheets) {
    const w = book.addSheet(s.name, s.columns, { autoFilter: s.autoFilter });
    for (const row of s.rows) {
      const wait = w.writeRow(row);
      if (wait !== true) await wait;
    }
    await w.end();
  }
  return book.finish();
}

describe('createEncryptedWorkbook', () => {
  const sheets = [CASE_SHEET, USER_SHEET, INFO_SHEET];
  let dir: string;
  let path: string;
  let result: Awaited<ReturnType<typeof writeBook>>;

  beforeAll(async () => {
    dir = freshDir();
    path = join(dir, 'book.xlsx');
    result = await writeBook(path, sheets);
  });

  it('reports the size and SHA-256 of the file it wrote, and leaves nothing else behind', () => {
    expect(result.path).toBe(path);
    expect(result.bytes).toBe(statSync(path).size);
    expect(result.sha256).toBe(sha256(path));
    expect(readdirSync(dir).filter((f) => f !== 'referenced.xlsx')).toEqual(['book.xlsx']);
  });

  it('is an OLE compound file, not a readable zip', () => {
    const head = readFileSync(path);
    expect(head.subarray(0, 8).toString('hex')).toBe('d0cf11e0a1b11ae1');
    expect(head.includes(Buffer.from('sheetData'))).toBe(false);
    expect(head.includes(Buffer.from('PK\u0003\u0004'))).toBe(false);
  });

  it('decrypts with msoffcrypto-tool (password and integrity checked) and openpyxl reads every cell as written', async () => {
    const book = await readWithPython('cells', path, PASSWORD);
    expect(book.sheets.map((s) => s.name)).toEqual(sheets.map((s) => s.name));
    for (const [i, sheet] of sheets.entries()) {
      const got = book.sheets[i]!;
      expect(got.freeze, sheet.name).toBe('A2');
      const header = got.rows[0]!;
      expect(header.map((c) => c?.v)).toEqual(sheet.columns.map((c) => c.header));
      expect(header.every((c) => c?.bold && c.t === 's')).toBe(true);
      const dataRows = got.rows.slice(1);
      // openpyxl stops at the last row holding a cell: trailing empty rows are not there to read.
      const filled = sheet.rows.map((r) => r.some((v) => expected(v, 'string') !== null));
      const lastFilled = filled.lastIndexOf(true);
      expect(dataRows.length).toBe(lastFilled + 1);
      sheet.rows.slice(0, lastFilled + 1).forEach((row, r) => {
        sheet.columns.forEach((col, c) => {
          const cell: PyCell | null = dataRows[r]![c] ?? null;
          const want = expected(row[c], col.kind);
          const where = `${sheet.name}!R${r + 2}C${c + 1}`;
          if (!want) return expect(cell, where).toBeNull();
          expect(cell, where).not.toBeNull();
          expect(cell!.t, where).toBe(want.t);
          expect(cell!.fmt, where).toBe(want.fmt);
          expect(cell!.bold, where).toBe(false);
          if (want.t === 's') expect(excelUnescape(cell!.v as string), where).toBe(want.v);
          else expect(cell!.v, where).toBe(want.v);
        });
      });
    }
  });

  it('puts filter buttons on the header of the sheets that ask for them, over every row written', async () => {
    const book = await readWithPython('cells', path, PASSWORD);
    expect(book.sheets.map((s) => s.autoFilter)).toEqual(['A1:E11', 'A1:D4', null]);
  });

  it('never turns text into a formula, whatever it starts with', async () => {
    const book = await readWithPython('cells', path, PASSWORD);
    const texts = book.sheets.flatMap((s) => s.rows.flat()).filter((c): c is PyCell => !!c && typeof c.v === 'string');
    const formulaLike = texts.filter((c) => /^[=+\-@]/.test(c.v as string));
    expect(formulaLike.map((c) => c.v).sort()).toEqual(['+1 234', '-5', '=HYPERLINK("http://evil.example","click")', '=cmd|" /C calc"!A0', '@SUM(A1:A2)']);
    for (const c of formulaLike) expect(c.t).toBe('s');
  });

  it('applies column widths, with a default wide enough for date-times', async () => {
    const book = await readWithPython('cells', path, PASSWORD);
    expect(book.sheets[0]!.widths).toEqual({ A: 20, B: 24, D: 50, E: 22 });
    expect(book.sheets[2]!.widths).toEqual({ A: 18, B: 60 });
  });

  it('opens in xlsx-populate, a second independent reader, with the same values (written with a reference on every cell, which it needs)', async () => {
    const referenced = join(dir, 'referenced.xlsx');
    await writeBook(referenced, sheets, { cellReferences: 'all' });
    const wb = await openWithXlsxPopulate(readFileSync(referenced), PASSWORD);
    expect(wb.sheets().map((s) => s.name())).toEqual(sheets.map((s) => s.name));
    for (const sheet of sheets) {
      const ws = wb.sheet(sheet.name)!;
      sheet.columns.forEach((col, c) => expect(ws.cell(1, c + 1).value()).toBe(col.header));
      sheet.rows.forEach((row, r) => {
        sheet.columns.forEach((col, c) => {
          const want = expected(row[c], col.kind);
          const got = ws.cell(r + 2, c + 1).value();
          const where = `${sheet.name}!R${r + 2}C${c + 1}`;
          if (!want) return expect(got, where).toBeUndefined();
          if (typeof row[c] === 'number' || typeof row[c] === 'boolean') return expect(got, where).toBe(row[c]);
          // xlsx-populate turns text that looks like a number into one; compare as text.
          expect(excelUnescape(String(got)), where).toBe(want.v);
        });
      });
    }
  });

  it('does not open with a wrong password', async () => {
    await expect(readWithPython('cells', path, 'Secret12345')).rejects.toThrow(/InvalidKeyError|verification failed/i);
    await expect(openWithXlsxPopulate(readFileSync(path), 'secret1234')).rejects.toThrow();
  });
});

describe('ZIP64 inside the encrypted package', () => {
  it('reads back through msoffcrypto-tool, zipfile and openpyxl when every record is ZIP64', async () => {
    const path = join(freshDir(), 'zip64.xlsx');
    await writeBook(path, [USER_SHEET, INFO_SHEET], { zip64Threshold: 100 });
    const zip = await readWithPython('zip', path, PASSWORD);
    expect(zip.bad).toBeNull();
    expect(zip.entries.find((e) => e.name === 'xl/worksheets/sheet1.xml')?.extractVersion).toBe(45);
    const book = await readWithPython('cells', path, PASSWORD);
    expect(book.sheets[0]!.rows[1]!.map((c) => c?.v ?? null)).toEqual(['u1', '김민준', 31, true]);
  });
});

describe('large workbook', () => {
  it('streams 200,000 rows x 50 columns: DIFAT in the container, every row readable', async () => {
    const dir = freshDir();
    const path = join(dir, 'large.xlsx');
    const columns: ColumnSpec[] = Array.from({ length: 50 }, (_, i) => ({
      header: `c${i}`,
      kind: i % 10 === 0 ? 'date' : i % 2 ? 'number' : 'string',
    }));
    const rows = 200_000;
    const book = await createEncryptedWorkbook({ path, password: PASSWORD, spinCount: SPIN, compressionLevel: 1 });
    const sheet = book.addSheet('Big', columns);
    const row: CellValue[] = new Array(50);
    let sawPartial = false;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < 50; i++) {
        row[i] = i % 10 === 0 ? toExcelSerial(at(2025, 7, 1) + r * 1000, KST) : i % 2 ? r * 50 + i : `PLAIN-MARKER r${r} c${i} ${(r * 7919 + i) % 104_729}`;
      }
      const wait = sheet.writeRow(row);
      if (wait !== true) await wait;
      if (r === rows / 2) {
        // Half way: only the output file exists, and it holds no plaintext.
        expect(readdirSync(dir)).toEqual(['large.xlsx']);
        const partial = readFileSync(path);
        expect(partial.length).toBeGreaterThan(1_000_000);
        expect(partial.includes(Buffer.from('PLAIN-MARKER'))).toBe(false);
        expect(partial.includes(Buffer.from('<row'))).toBe(false);
        sawPartial = true;
      }
    }
    expect(sheet.rowCount).toBe(rows);
    await sheet.end();
    const result = await book.finish();
    expect(sawPartial).toBe(true);
    expect(readdirSync(dir)).toEqual(['large.xlsx']);
    expect(result.sha256).toBe(sha256(path));

    const file = readFileSync(path);
    expect(file.includes(Buffer.from('PLAIN-MARKER'))).toBe(false);
    const fatSectors = file.readUInt32LE(44);
    const difatSectors = file.readUInt32LE(72);
    expect(fatSectors).toBeGreaterThan(109);
    expect(difatSectors).toBeGreaterThan(0);

    const counted = await readWithPython('count', path, PASSWORD);
    const big = counted.sheets[0]!;
    expect(big.rows).toBe(rows + 1);
    expect(big.lastRow).toBe(rows + 1);
    expect(big.first[0]![0]).toMatchObject({ t: 's', v: 'c0', bold: true });
    expect(big.first[1]![0]).toMatchObject({ t: 'd', v: '2025-07-01T09:00:00.000', fmt: 'yyyy-mm-dd hh:mm:ss' });
    expect(big.first[1]![1]).toMatchObject({ t: 'n', v: 1 });
    expect(big.first[1]![2]).toMatchObject({ t: 's', v: 'PLAIN-MARKER r0 c2 2' });
    expect(big.first[2]![0]).toMatchObject({ t: 'd', v: '2025-07-01T09:00:01.000', fmt: 'yyyy-mm-dd hh:mm:ss' });
  }, 120_000);
});

describe('failure and abort', () => {
  it('abort() deletes the partial file', async () => {
    const dir = freshDir();
    const path = join(dir, 'aborted.xlsx');
    const book = await createEncryptedWorkbook({ path, password: PASSWORD, spinCount: SPIN });
    const sheet = book.addSheet('S', [{ header: 'a', kind: 'string' }]);
    for (let r = 0; r < 50_000; r++) {
      const wait = sheet.writeRow([`row ${r} with some text to fill the buffers ${r * 31}`]);
      if (wait !== true) await wait;
    }
    expect(readdirSync(dir)).toEqual(['aborted.xlsx']);
    await book.abort(new Error('client went away'));
    expect(readdirSync(dir)).toEqual([]);
    expect(() => sheet.writeRow(['late'])).toThrow();
    await expect(book.finish()).rejects.toThrow(/aborted/);
  });

  it('fails before creating anything when the password or directory is unusable', async () => {
    const dir = freshDir();
    await expect(createEncryptedWorkbook({ path: join(dir, 'x.xlsx'), password: '' })).rejects.toThrow(/password/);
    await expect(createEncryptedWorkbook({ path: join(dir, 'missing', 'x.xlsx'), password: PASSWORD, spinCount: SPIN })).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('enforces sheet rules: names, one open sheet at a time, at least one sheet', async () => {
    const dir = freshDir();
    const book = await createEncryptedWorkbook({ path: join(dir, 'rules.xlsx'), password: PASSWORD, spinCount: SPIN });
    expect(() => book.addSheet('x'.repeat(32), [{ header: 'a', kind: 'string' }])).toThrow(/31/);
    expect(() => book.addSheet('a/b', [{ header: 'a', kind: 'string' }])).toThrow(/may not contain/);
    // A failed finish() is final: the partial file is gone.
    await expect(book.finish()).rejects.toThrow(/at least one sheet/);
    expect(readdirSync(dir)).toEqual([]);

    const book2 = await createEncryptedWorkbook({ path: join(dir, 'rules2.xlsx'), password: PASSWORD, spinCount: SPIN });
    const one = book2.addSheet('One', [{ header: 'a', kind: 'string' }]);
    expect(() => book2.addSheet('Two', [{ header: 'a', kind: 'string' }])).toThrow(/has not ended/);
    await one.end();
    expect(() => book2.addSheet('ONE', [{ header: 'a', kind: 'string' }])).toThrow(/duplicate/);
    await book2.abort();
    expect(readdirSync(dir)).toEqual([]);
  });
});
