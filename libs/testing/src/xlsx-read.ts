import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { exportInfoByKey } from '@casestats/export';

export type ReadCell = null | { t: 's' | 'n' | 'b' | 'd' | 'f'; v: string | number | boolean; fmt: string };

export interface ReadWorkbook {
  order: string[];
  sheets: Record<string, ReadCell[][]>;
  /** Per sheet: the frozen panes' top-left cell and the header filter's range, as openpyxl reads them. */
  layout: Record<string, { freeze: string | null; autoFilter: string | null }>;
}

const SCRIPT = resolve(__dirname, 'xlsx-read.py');
/** Debian's python3-msoffcrypto-tool and python3-openpyxl live beside /usr/bin/python3, which another python3 on PATH may shadow. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Decrypts and reads a workbook with msoffcrypto-tool + openpyxl (Debian's python3 packages). */
export async function readEncryptedXlsx(path: string, password: string): Promise<ReadWorkbook> {
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, path, password], { maxBuffer: 1 << 30 });
  return JSON.parse(stdout) as ReadWorkbook;
}

/** A sheet as objects keyed by its header row, cells reduced to their values (dates as local ISO text). */
export function sheetObjects(book: ReadWorkbook, sheet: string): Record<string, unknown>[] {
  const [header, ...rows] = book.sheets[sheet] ?? [];
  if (!header) return [];
  const keys = header.map((c) => String(c?.v));
  return rows.map((row) => Object.fromEntries(keys.map((k, i) => [k, row[i] ? row[i]!.v : null])));
}

/**
 * The Export info sheet as facts by key (channel, from, to, timezone, filters, reason, exportedBy,
 * exportedAt, asOf, textLimit, caseRows, userRows), in whichever language it was written.
 */
export function exportInfoOf(book: ReadWorkbook): Record<string, unknown> {
  const rows = (book.sheets['Export info'] ?? []).slice(1).map((r) => [r[0]?.v ?? null, r[1]?.v ?? null] as [unknown, unknown]);
  return exportInfoByKey(rows);
}

/** Rows per sheet, read in openpyxl's streaming mode: for files too large to load cell by cell. */
export async function countEncryptedXlsxRows(path: string, password: string): Promise<Record<string, number>> {
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, path, password, '--count'], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Record<string, number>;
}

export interface OfficeComparison {
  /** Non-empty cells per sheet, as openpyxl reads them. */
  sheets: Record<string, number>;
  /** Per sheet: the header filter as LibreOffice kept it when it saved the workbook again as XLSX (a headless save keeps no frozen panes). */
  layout: Record<string, { freeze: string | null; autoFilter: string | null }>;
  /** Cells LibreOffice shows differently (or elsewhere) from openpyxl. */
  mismatches: { sheet: string; row: number; col: number; libreoffice: string; openpyxl: string }[];
}

/** Opens a workbook in headless LibreOffice (Debian's libreoffice-calc-nogui) and compares every cell with openpyxl's reading. */
export async function compareWithLibreOffice(path: string, password: string): Promise<OfficeComparison> {
  const script = resolve(__dirname, 'xlsx-libreoffice.py');
  const { stdout } = await promisify(execFile)(PYTHON, [script, path, password], { maxBuffer: 1 << 28, timeout: 240_000 });
  return JSON.parse(stdout) as OfficeComparison;
}
