import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { CaseSnapshot, activeSchema, dataSourceUrl, type CaseSelection, type CaseSlice, type UserRowForExport } from '@casestats/read-model';
import {
  createEncryptedWorkbook,
  type CellValue,
  type EncryptedWorkbookOptions,
  type EncryptedWorkbookWriter,
  type SheetWriter,
  type WorkbookResult,
} from '@casestats/xlsx';
import { ValidExportRequest, assertWithinRowCap } from './export-rules';
import { caseSheet, userSheet } from './case-columns';
import { Zone } from './zoned-time';
import { DEFAULT_EXPORT_LANGUAGE, FIELD_GUIDE_SHEET, exportInfoColumns, exportInfoRows, fieldGuideSheet, type ExportInfoFacts, type ExportLanguage } from './export-info';
import { CaseSheetWorkers, type CaseRowsJob } from './case-sheet.producer';

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
  /** The language of Export info and the field guide; Korean by default. */
  language?: ExportLanguage;
  /** Told when each step is done: the benchmark's breakdown of an export's time. */
  onStep?: (step: ExportStep) => void;
}

/** The steps of runExport, in the order they usually end; `workers`, `keys` and `user sheet` run beside the others. */
export type ExportStep = 'snapshot' | 'count' | 'workers' | 'keys' | 'first rows' | 'case sheet' | 'user sheet' | 'info sheets' | 'file';

export interface ExportResult {
  path: string;
  caseRows: number;
  userRows: number;
  bytes: number;
  sha256: string;
}

/**
 * The name an export's file is saved under, in the API's Content-Disposition and the job's
 * `fileName` alike: its range and the time it was requested, as `yyyymmdd-hhmmss` wall time in the
 * export's zone, so that two exports of one range are two files in a downloads folder.
 */
export function exportFileName(channelId: string, from: string, to: string, requestedAt: Date, timezone: string): string {
  const stamp = new Zone(timezone).formatLocal(requestedAt.getTime()).replace(/[-:]/g, '').replace(' ', '-');
  return `case-stats_${channelId}_${from}_${to}_${stamp}.xlsx`;
}

/**
 * The export, one path for the CLI, the HTTP job and the benchmark: snapshot → count and cap →
 * rows through a cursor → cells → encrypted workbook, written under a temporary name and renamed
 * into place only when complete. Only ciphertext ever reaches the disk. Each resource is released
 * at the end of the scope that opened it, in reverse order, whether the export succeeded or not.
 */
export async function runExport(opts: ExportRunOptions): Promise<ExportResult> {
  const { request, db } = opts;
  const step = (name: ExportStep) => opts.onStep?.(name);
  // What takes time to start starts first, beside the snapshot's queries: the render threads load
  // their modules, and the workbook derives its keys from the password (100,000 rounds, on a
  // thread of its own; only the file's seal needs them). A refused export stops both.
  await using workers = new CaseSheetWorkers(opts.renderWorkers);
  await using file = new PartialWorkbook(opts.outPath, {
    password: request.password,
    spinCount: opts.spinCount,
    compressionLevel: opts.compressionLevel ?? COMPRESSION_LEVEL,
  });
  if (opts.onStep) {
    void workers.ready.then(() => step('workers'));
    file.opened.then(() => step('keys'), () => undefined);
  }
  const schema = opts.schema ?? (await activeSchema(db));
  await using snapshot = await CaseSnapshot.open(db, schema, request.selection);
  const snapshotId = await snapshot.share();
  step('snapshot');
  const total = await snapshot.count();
  step('count');
  assertWithinRowCap(total, opts.maxRows);
  const url = dataSourceUrl(db, 'export');
  if (total > 0) workers.join({ url, snapshotId, schema, selection: request.selection });
  // The slices of time are counted on the second connection, beside the profile keys below. Even
  // one render thread reads by slices: over a whole 100k-row range the planner prefers a parallel
  // scan of the table and a sort, and the first rows came a second later.
  await using users = UserSideReads.open(url, snapshotId, schema, request.selection, opts.sliceMs ?? SLICE_MS);
  const caseProfileKeys = await snapshot.caseProfileKeys();
  const slices = await users.slices;

  const book = await file.opened;
  const job: CaseRowsJob = {
    url,
    snapshotId,
    slices,
    schema,
    selection: request.selection,
    profileKeys: caseProfileKeys,
    timezone: request.timezone,
    caseUrlTemplate: opts.caseUrlTemplate,
  };
  // Case data is the first sheet; User data fills beside it instead of after it.
  const cases = book.addSheet('Case data', caseSheet(caseProfileKeys, { zone: new Zone(request.timezone), caseUrlTemplate: opts.caseUrlTemplate }).specs, { autoFilter: true });
  const [caseRows, userRows] = await Promise.all(
    [
      writeCaseSheet(cases, workers, total, opts, job).then((n) => (step('case sheet'), n)),
      writeUserSheet(book, users, opts.signal).then((n) => (step('user sheet'), n)),
    ].map((sheet) =>
      // A failure of either ends the workbook at once, which also ends the other's waits.
      sheet.catch(async (err: unknown) => {
        await book.abort(err as Error);
        throw err;
      }),
    ),
  );
  const language = opts.language ?? DEFAULT_EXPORT_LANGUAGE;
  const info = exportInfo(opts, new Zone(request.timezone), caseRows, userRows);
  await writeRows(book.addSheet('Export info', exportInfoColumns(language)), exportInfoRows(info, language));
  const guide = fieldGuideSheet(language);
  await writeRows(book.addSheet(FIELD_GUIDE_SHEET[language], guide.columns), guide.rows);
  step('info sheets');
  const done = await file.commit();
  step('file');
  return { path: opts.outPath, caseRows, userRows, bytes: done.bytes, sha256: done.sha256 };
}

/**
 * The Case data sheet's rows. They are read and rendered by worker threads in the export's
 * snapshot, while this thread compresses, encrypts and writes: they overlap instead of taking turns.
 */
async function writeCaseSheet(sheet: SheetWriter, workers: CaseSheetWorkers, total: number, opts: ExportRunOptions, job: CaseRowsJob): Promise<number> {
  await opts.onProgress?.(0, total);
  let written = 0;
  let sinceProgress = 0;
  for await (const chunk of workers.render(job)) {
    opts.signal?.throwIfAborted();
    if (!written) opts.onStep?.('first rows');
    const wait = sheet.writeRendered(chunk.xml, chunk.rows);
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
  await sheet.end();
  return written;
}

/** The User data sheet, from the reads on the second connection, written while the case rows are. */
async function writeUserSheet(book: EncryptedWorkbookWriter, users: UserSideReads, signal: AbortSignal | undefined): Promise<number> {
  const columns = userSheet(await users.profileKeys);
  const sheet = book.addSheet('User data', columns.specs, { autoFilter: true, beside: true });
  for await (const batch of users.rows()) {
    signal?.throwIfAborted();
    for (const row of batch) {
      const wait = sheet.writeRow(columns.toCells(row));
      if (wait !== true && wait !== false) await wait;
    }
  }
  await sheet.end();
  return sheet.rowCount;
}

async function writeRows(sheet: SheetWriter, rows: readonly (readonly CellValue[])[]): Promise<void> {
  for (const row of rows) {
    const wait = sheet.writeRow(row);
    if (wait !== true && wait !== false) await wait;
  }
  await sheet.end();
}

/**
 * The User data sheet's queries, on a second connection in the same snapshot, so that PostgreSQL
 * works them out while the case rows stream instead of after them. One query at a time per
 * connection: the slices first (the case sheet needs them), then the user queries.
 */
class UserSideReads implements AsyncDisposable {
  readonly slices: Promise<CaseSlice[]>;
  readonly profileKeys: Promise<string[]>;
  private readonly side: Promise<CaseSnapshot>;
  private readonly batches: Promise<AsyncGenerator<UserRowForExport[]>>;
  private readonly first: Promise<IteratorResult<UserRowForExport[]>>;

  private constructor(url: string, snapshotId: string, schema: string, sel: CaseSelection, sliceMs: number) {
    this.side = CaseSnapshot.join(url, snapshotId, schema, sel);
    this.slices = this.side.then((side) => side.slices(sliceMs));
    this.profileKeys = this.slices.then(async () => (await this.side).userProfileKeys());
    this.batches = this.side.then((side) => side.users());
    this.first = this.profileKeys.then(async () => (await this.batches).next());
    // All are awaited later; an early failure must not go unhandled meanwhile.
    for (const p of [this.side, this.slices, this.profileKeys, this.batches, this.first]) p.catch(() => undefined);
  }

  /** Joins the snapshot in the background: the caller goes on with its own queries meanwhile. */
  static open(url: string, snapshotId: string, schema: string, sel: CaseSelection, sliceMs: number): UserSideReads {
    return new UserSideReads(url, snapshotId, schema, sel, sliceMs);
  }

  async *rows(): AsyncGenerator<UserRowForExport[]> {
    const batches = await this.batches;
    for (let next = await this.first; !next.done; next = await batches.next()) yield next.value;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const side = await this.side.catch(() => null);
    if (!side) return;
    // A cursor left mid-way (the export failed first) is closed before its transaction ends; its
    // own failure is the connection's, which close() deals with.
    await (await this.batches).return(undefined).catch(() => undefined);
    await side.close();
  }
}

/**
 * The encrypted file under a temporary name beside its destination. It starts opening at once, so
 * that the key derivation overlaps the export's queries; commit() seals it and renames it into
 * place, and a file not committed is aborted and removed when the scope ends.
 */
class PartialWorkbook implements AsyncDisposable {
  readonly opened: Promise<EncryptedWorkbookWriter>;
  private readonly path: string;
  private committed = false;

  constructor(
    private readonly outPath: string,
    options: Omit<EncryptedWorkbookOptions, 'path'>,
  ) {
    this.path = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(6).toString('hex')}.partial`);
    this.opened = createEncryptedWorkbook({ ...options, path: this.path });
    // Awaited when the first sheet starts; a failure before then is reported there or not at all.
    this.opened.catch(() => undefined);
  }

  async commit(): Promise<WorkbookResult> {
    const done = await (await this.opened).finish();
    await rename(this.path, this.outPath);
    this.committed = true;
    await syncDirectory(dirname(this.outPath));
    return done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.committed) return;
    // Never throws: the export's own error is the one to report.
    try {
      const book = await this.opened;
      await book.abort(new Error('the export did not complete'));
    } catch {
      // The workbook never opened, or its abort failed: the removal below is what matters.
    }
    await rm(this.path, { force: true });
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

function exportInfo(opts: ExportRunOptions, zone: Zone, caseRows: number, userRows: number): ExportInfoFacts {
  const r = opts.request;
  return {
    channel: r.channelId,
    from: r.from,
    to: r.to,
    timezone: r.timezone,
    filters: r.filters as Record<string, string[]>,
    reason: r.reason,
    exportedBy: opts.exportedBy.name ? `${opts.exportedBy.name} (${opts.exportedBy.id})` : opts.exportedBy.id,
    exportedAt: zone.formatLocal(opts.asOf.getTime()),
    caseRows,
    userRows,
  };
}
