import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { CaseSnapshot, activeSchema, dataSourceUrl } from '@casestats/read-model';
import { MAX_CELL_CHARS, TRUNCATED_MARK, createEncryptedWorkbook } from '@casestats/xlsx';
import { ValidExportRequest, assertWithinRowCap } from './export-rules';
import { caseSheet, userSheet } from './case-columns';
import { Zone } from './zoned-time';
import { CaseSheetWorkers } from './case-sheet.producer';

/**
 * zlib level for the sheets. Measured on 303k simulator case rows (509 MB of sheet XML): level 5
 * deflates 1.5x faster than 6 for a file 1% larger (63.8 vs 63.2 MB); 4 and below cost 15% more bytes.
 */
export const COMPRESSION_LEVEL = 5;
/** Rows are read in slices of this much creation time, handed to the render workers in turn. */
const SLICE_MS = 6 * 3600_000;
/** Progress is reported about this often (and at the end); each report may write to the database. */
const PROGRESS_ROWS = 5000;

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
  /** Render workers for the case rows; one per core beyond the first by default. Tests vary it. */
  renderWorkers?: number;
  /** Creation time per slice handed to a render worker; SLICE_MS by default. Tests shorten it. */
  sliceMs?: number;
  /** zlib level 0–9; COMPRESSION_LEVEL by default. */
  compressionLevel?: number;
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
  let opening: ReturnType<typeof createEncryptedWorkbook> | undefined;
  let workers: CaseSheetWorkers | undefined;
  let userSide: CaseSnapshot | undefined;
  let userBatches: ReturnType<CaseSnapshot['users']> | undefined;
  try {
    const total = await snapshot.count();
    assertWithinRowCap(total, opts.maxRows);
    // Accepted: what takes time to start starts now, beside the queries below. The render threads
    // load their modules, and the workbook derives its keys from the password (100,000 rounds).
    if (total > 0) workers = new CaseSheetWorkers(opts.renderWorkers);
    opening = createEncryptedWorkbook({ path: partial, password: request.password, spinCount: opts.spinCount, compressionLevel: opts.compressionLevel ?? COMPRESSION_LEVEL });
    opening.catch(() => undefined);
    const zone = new Zone(request.timezone);
    const url = dataSourceUrl(db, 'export');
    const snapshotId = await snapshot.share();
    // The User data sheet's queries run on a second connection in the same snapshot, so that
    // PostgreSQL works them out while the case rows stream instead of after them.
    userSide = await CaseSnapshot.join(url, snapshotId, schema, request.selection);
    // One query at a time per connection: on the second one the slices, then the user queries,
    // while the first one finds the case profile keys.
    const side = userSide;
    const slices = side.slices(opts.sliceMs ?? SLICE_MS);
    const userProfileKeys = slices.then(() => side.userProfileKeys());
    userBatches = side.users();
    const batches = userBatches;
    const firstUsers = userProfileKeys.then(() => batches.next());
    // Both are awaited after the case rows; an early failure must not go unhandled meanwhile.
    userProfileKeys.catch(() => undefined);
    firstUsers.catch(() => undefined);
    const caseProfileKeys = await snapshot.caseProfileKeys();
    const cases = caseSheet(caseProfileKeys, { zone, caseUrlTemplate: opts.caseUrlTemplate });

    book = await opening;
    let written = 0;
    const caseWriter = book.addSheet('Case data', cases.specs);
    await opts.onProgress?.(0, total);
    // The rows are read and rendered by worker threads in this same snapshot, while this thread
    // compresses, encrypts and writes: they overlap instead of taking turns.
    const job = { url, snapshotId, slices: await slices, schema, selection: request.selection, profileKeys: caseProfileKeys, timezone: request.timezone, caseUrlTemplate: opts.caseUrlTemplate };
    const rendered = workers ? workers.render(job) : [];
    let sinceProgress = 0;
    for await (const chunk of rendered) {
      opts.signal?.throwIfAborted();
      const wait = caseWriter.writeRendered(chunk.xml, chunk.rows);
      if (wait !== true && wait !== false) await wait;
      written += chunk.rows;
      sinceProgress += chunk.rows;
      if (sinceProgress >= PROGRESS_ROWS) {
        sinceProgress = 0;
        await opts.onProgress?.(written, total);
      }
    }
    if (written !== total) throw new Error(`the snapshot counted ${total} cases but ${written} were read`);
    await opts.onProgress?.(written, total);
    await caseWriter.end();

    let userRows = 0;
    const users = userSheet(await userProfileKeys);
    const userWriter = book.addSheet('User data', users.specs);
    for (let next = await firstUsers; !next.done; next = await batches.next()) {
      opts.signal?.throwIfAborted();
      for (const row of next.value) {
        const wait = userWriter.writeRow(users.toCells(row));
        if (wait !== true && wait !== false) await wait;
      }
      userRows += next.value.length;
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
    await syncDirectory(dirname(opts.outPath));
    return { path: opts.outPath, caseRows: written, userRows, bytes: done.bytes, sha256: done.sha256 };
  } catch (err) {
    // A workbook still opening when the export failed is aborted once it is open.
    book ??= await opening?.catch(() => undefined);
    await book?.abort(err as Error).catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  } finally {
    await workers?.stop();
    // A user cursor left mid-way (the export failed first) is closed before its transaction ends.
    await userBatches?.return(undefined).catch(() => undefined);
    await userSide?.close();
    await snapshot.close();
  }
}

/** The rename itself on the disk: a directory entry is durable only once its directory is synced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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
    ['textLimit', `a text over ${MAX_CELL_CHARS.toLocaleString('en-US')} characters (the most a cell holds) is cut and ends with ${TRUNCATED_MARK}`],
    ['caseRows', caseRows],
    ['userRows', userRows],
  ];
}
