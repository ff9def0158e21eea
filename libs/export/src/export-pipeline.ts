import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { CaseSnapshot, activeSchema } from '@casestats/read-model';
import { createEncryptedWorkbook } from '@casestats/xlsx';
import { ValidExportRequest, assertWithinRowCap } from './export-rules';
import { caseSheet, userSheet } from './case-columns';
import { Zone } from './zoned-time';

export interface ExportRunOptions {
  db: DataSource;
  request: ValidExportRequest;
  outPath: string;
  maxRows: number;
  caseUrlTemplate: string;
  exportedBy: { id: string; name?: string | null };
  /** The as-of time written in Export info; passed in so the pipeline reads no clock. */
  asOf: Date;
  onProgress?: (rowsWritten: number, totalRows: number) => void | Promise<void>;
  signal?: AbortSignal;
  /** Key-derivation rounds; 100,000 as Excel writes. Tests may lower it. */
  spinCount?: number;
  schema?: string;
}

export interface ExportResult {
  path: string;
  caseRows: number;
  userRows: number;
  bytes: number;
  sha256: string;
}

export function exportFileName(channelId: string, from: string, to: string): string {
  return `case-stats_${channelId}_${from}_${to}.xlsx`;
}

/**
 * The export, one path for the CLI, the HTTP job and the benchmark: snapshot → count and cap →
 * rows through a cursor → cells → encrypted workbook, written under a temporary name and renamed
 * into place only when complete. Only ciphertext ever reaches the disk.
 */
export async function runExport(opts: ExportRunOptions): Promise<ExportResult> {
  const { request, db } = opts;
  const schema = opts.schema ?? (await activeSchema(db));
  const snapshot = await CaseSnapshot.open(db, schema, request.selection);
  const partial = join(dirname(opts.outPath), `.${basename(opts.outPath)}.${randomBytes(6).toString('hex')}.partial`);
  let book: Awaited<ReturnType<typeof createEncryptedWorkbook>> | undefined;
  try {
    const total = await snapshot.count();
    assertWithinRowCap(total, opts.maxRows);
    const zone = new Zone(request.timezone);
    const cases = caseSheet(await snapshot.caseProfileKeys(), { zone, caseUrlTemplate: opts.caseUrlTemplate });
    const users = userSheet(await snapshot.userProfileKeys());

    book = await createEncryptedWorkbook({ path: partial, password: request.password, spinCount: opts.spinCount });
    let written = 0;
    const caseWriter = book.addSheet('Case data', cases.specs);
    await opts.onProgress?.(0, total);
    for await (const rows of snapshot.cases()) {
      opts.signal?.throwIfAborted();
      for (const row of rows) {
        const wait = caseWriter.writeRow(cases.toCells(row));
        if (wait !== true && wait !== false) await wait;
      }
      written += rows.length;
      await opts.onProgress?.(written, total);
    }
    await caseWriter.end();

    let userRows = 0;
    const userWriter = book.addSheet('User data', users.specs);
    for await (const rows of snapshot.users()) {
      opts.signal?.throwIfAborted();
      for (const row of rows) {
        const wait = userWriter.writeRow(users.toCells(row));
        if (wait !== true && wait !== false) await wait;
      }
      userRows += rows.length;
    }
    await userWriter.end();

    const info = book.addSheet('Export info', [
      { header: 'field', kind: 'string', width: 18 },
      { header: 'value', kind: 'string', width: 60 },
    ]);
    for (const line of exportInfo(opts, zone, written, userRows)) {
      const wait = info.writeRow(line);
      if (wait !== true && wait !== false) await wait;
    }
    await info.end();

    const done = await book.finish();
    await rename(partial, opts.outPath);
    return { path: opts.outPath, caseRows: written, userRows, bytes: done.bytes, sha256: done.sha256 };
  } catch (err) {
    await book?.abort(err as Error).catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  } finally {
    await snapshot.close();
  }
}

function exportInfo(opts: ExportRunOptions, zone: Zone, caseRows: number, userRows: number): [string, string | number][] {
  const r = opts.request;
  const filters = Object.entries(r.filters)
    .map(([k, v]) => `${k}: ${(v as string[]).join(', ')}`)
    .join('; ');
  return [
    ['channel', r.channelId],
    ['from', r.from],
    ['to', r.to],
    ['timezone', r.timezone],
    ['filters', filters || '(none)'],
    ['reason', r.reason],
    ['exportedBy', opts.exportedBy.name ? `${opts.exportedBy.name} (${opts.exportedBy.id})` : opts.exportedBy.id],
    ['exportedAt', `${zone.formatLocal(opts.asOf.getTime())} (${r.timezone})`],
    ['asOf', 'records are as of exportedAt; inProgress rows may still change later'],
    ['caseRows', caseRows],
    ['userRows', userRows],
  ];
}
