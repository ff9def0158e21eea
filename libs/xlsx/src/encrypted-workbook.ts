import { EncryptedPackageFile, type EncryptedFileResult } from './encrypted-package-file';
import { MAX_ROWS, SheetXml, type CellReferences, type CellValue, type ColumnSpec } from './sheet-xml';
import { appProperties, contentTypes, coreProperties, rootRels, sheetPartName, styles, workbook, workbookRels } from './workbook-parts';
import { ZipStreamWriter, type ZipEntryWriter } from './zip-stream-writer';

export interface EncryptedWorkbookOptions {
  /** Where the encrypted file is written (created or truncated, mode 0600). */
  path: string;
  /** Never logged, never stored; only its derived keys live until finish(). */
  password: string;
  /** zlib level 0–9; 6 by default. */
  compressionLevel?: number;
  /** Password hashing rounds; 100,000 as Excel writes. Tests may lower it. */
  spinCount?: number;
  /** Only for tests: write ZIP64 records for values at or above this instead of 0xFFFFFFFF. */
  zip64Threshold?: number;
  /** Cell references on every cell, or only where a cell does not follow the one before (the default). */
  cellReferences?: CellReferences;
}

export type WorkbookResult = EncryptedFileResult;

export interface SheetWriter {
  /**
   * Adds a row (values by column, shorter rows leave the rest empty). Returns true when more rows
   * are welcome now, or a promise to await first: the compressor or the disk is behind.
   */
  writeRow(values: readonly CellValue[]): boolean | Promise<void>;
  /**
   * Adds rows rendered elsewhere (a worker thread) as UTF-8 sheet XML: whole rows, numbered on from
   * rowCount + 2 with this sheet's columns. The buffer is kept until compressed. Waits as writeRow.
   */
  writeRendered(xml: Buffer, rows: number): boolean | Promise<void>;
  /** Data rows written so far (the header row not counted). */
  readonly rowCount: number;
  end(): Promise<void>;
}

export interface SheetOptions {
  /** Filter buttons on the header row over all the sheet's rows (the header is always frozen). */
  autoFilter?: boolean;
  /**
   * May start while the sheets before it are still being written, so that both fill at once: its
   * part follows theirs in the file, held in memory meanwhile (compressed; past 8 MiB its writes
   * wait for them to end).
   */
  beside?: boolean;
}

export interface EncryptedWorkbookWriter {
  /** Starts the next sheet; the previous one must have ended, unless this one goes `beside` it. */
  addSheet(name: string, columns: ColumnSpec[], options?: SheetOptions): SheetWriter;
  /** Writes the remaining parts and seals the file. On failure the file is deleted. */
  finish(): Promise<WorkbookResult>;
  /** Stops and deletes the partial file. */
  abort(err?: Error): Promise<void>;
}

/** XML goes to the compressor in buffers of this size: big enough that each threadpool job is long. */
const CHUNK_BYTES = 1024 * 1024;
const INVALID_SHEET_NAME = /[\\/?*[\]:]/;

export async function createEncryptedWorkbook(opts: EncryptedWorkbookOptions): Promise<EncryptedWorkbookWriter> {
  const file = await EncryptedPackageFile.create(opts.path, { password: opts.password, spinCount: opts.spinCount });
  try {
    const created = new Date();
    const zip = new ZipStreamWriter(file, { level: opts.compressionLevel, date: created, zip64Threshold: opts.zip64Threshold });
    // The parts that do not depend on the sheets go first; the ones listing the sheets go last.
    await zip.addFile('xl/styles.xml', Buffer.from(styles()));
    await zip.addFile('docProps/core.xml', Buffer.from(coreProperties(created)));
    await zip.addFile('docProps/app.xml', Buffer.from(appProperties()));
    return new Workbook(file, zip, opts.cellReferences);
  } catch (err) {
    await file.abort();
    throw err;
  }
}

class Workbook implements EncryptedWorkbookWriter {
  private readonly sheetNames: string[] = [];
  private readonly sheets: Sheet[] = [];
  private state: 'open' | 'finishing' | 'finished' | 'aborted' = 'open';
  private abortedBy: Error | undefined;

  constructor(
    private readonly file: EncryptedPackageFile,
    private readonly zip: ZipStreamWriter,
    private readonly cellReferences: CellReferences | undefined,
  ) {}

  addSheet(name: string, columns: ColumnSpec[], options: SheetOptions = {}): SheetWriter {
    this.assertOpen();
    if (!options.beside) this.assertEnded();
    checkSheetName(name, this.sheetNames);
    const xml = new SheetXml(columns, { selected: this.sheetNames.length === 0, cellReferences: this.cellReferences, autoFilter: options.autoFilter });
    const entry = this.zip.openEntry(sheetPartName(this.sheetNames.length), { behind: options.beside });
    this.sheetNames.push(name);
    const sheet = new Sheet(name, xml, entry, this);
    this.sheets.push(sheet);
    return sheet;
  }

  private assertEnded(): void {
    const open = this.sheets.find((s) => !s.ended);
    if (open) throw new Error(`sheet "${open.name}" has not ended`);
  }

  async finish(): Promise<WorkbookResult> {
    this.assertOpen();
    this.state = 'finishing';
    try {
      this.assertEnded();
      if (!this.sheetNames.length) throw new Error('a workbook needs at least one sheet');
      await this.zip.addFile('xl/workbook.xml', Buffer.from(workbook(this.sheetNames, this.sheets.map((s) => s.filterRange()))));
      await this.zip.addFile('xl/_rels/workbook.xml.rels', Buffer.from(workbookRels(this.sheetNames.length)));
      await this.zip.addFile('_rels/.rels', Buffer.from(rootRels()));
      await this.zip.addFile('[Content_Types].xml', Buffer.from(contentTypes(this.sheetNames.length)));
      this.zip.finish();
      const result = await this.file.finish();
      this.state = 'finished';
      return result;
    } catch (err) {
      // Whatever went wrong, a half-written file must not stay behind.
      await this.abort(err as Error);
      throw err;
    }
  }

  async abort(err?: Error): Promise<void> {
    if (this.state === 'aborted' || this.state === 'finished') return;
    this.state = 'aborted';
    this.abortedBy = err;
    for (const sheet of this.sheets) sheet.destroy(err);
    await this.file.abort();
  }

  /** Pipeline failures (disk, compressor) end the workbook: the caller only sees the error. */
  async failed(err: Error): Promise<never> {
    await this.abort(err);
    throw err;
  }

  checkHealthy(): void {
    this.assertOpen();
    if (this.file.error) throw this.file.error;
  }

  private assertOpen(): void {
    if (this.state === 'open') return;
    // A producer that did not await a rejected writeRow() still learns what went wrong.
    const why = this.abortedBy ? `: ${this.abortedBy.message}` : '';
    throw new Error(`the workbook is ${this.state}${why}`, this.abortedBy ? { cause: this.abortedBy } : undefined);
  }
}

class Sheet implements SheetWriter {
  /**
   * Rows are encoded straight into a buffer that goes to the compressor once full: one string per
   * row and one UTF-8 copy, instead of a long chain of concatenated rows flattened again later.
   */
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private rows = 0;
  private closing = false;
  private closed: Promise<void> = Promise.resolve();
  ended = false;

  constructor(
    readonly name: string,
    private readonly xml: SheetXml,
    private readonly entry: ZipEntryWriter,
    private readonly book: Workbook,
  ) {
    this.append(xml.head());
  }

  get rowCount(): number {
    return this.rows;
  }

  filterRange(): string | null {
    return this.xml.filterRange(this.rows);
  }

  writeRow(values: readonly CellValue[]): boolean | Promise<void> {
    if (this.closing) throw new Error(`sheet "${this.name}" has ended`);
    this.book.checkHealthy();
    if (this.rows >= MAX_ROWS - 1) throw new RangeError(`sheet "${this.name}" is full: a sheet holds ${MAX_ROWS} rows`);
    const row = this.xml.row(values, this.rows + 2);
    this.rows++;
    return this.append(row);
  }

  writeRendered(xml: Buffer, rows: number): boolean | Promise<void> {
    if (this.closing) throw new Error(`sheet "${this.name}" has ended`);
    this.book.checkHealthy();
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rendered row count must be a whole number, got ${rows}`);
    if (this.rows + rows > MAX_ROWS - 1) throw new RangeError(`sheet "${this.name}" is full: a sheet holds ${MAX_ROWS} rows`);
    this.rows += rows;
    // What this sheet buffered itself (its head) goes first, then the rendered rows as they are.
    const pending = this.used ? this.flush() : null;
    return this.compress(xml) ?? pending ?? true;
  }

  async end(): Promise<void> {
    if (this.closing) return this.closed;
    this.book.checkHealthy();
    this.closing = true;
    this.closed = this.close();
    return this.closed;
  }

  private async close(): Promise<void> {
    try {
      const wait = this.append(this.xml.tail(this.rows));
      if (wait !== true) await wait;
      if (this.used) await this.flush();
      await this.entry.end();
      this.ended = true;
    } catch (err) {
      return this.book.failed(err as Error);
    }
  }

  destroy(err?: Error): void {
    this.used = 0;
    if (!this.ended) this.entry.destroy(err);
    this.closing = true;
    this.ended = true;
  }

  private append(text: string): true | Promise<void> {
    // A UTF-16 code unit never takes more than 3 bytes of UTF-8.
    if (this.buf.length - this.used >= text.length * 3) {
      this.used += this.buf.write(text, this.used, 'utf8');
      return true;
    }
    const wait = this.used ? this.flush() : null;
    if (this.buf.length < text.length * 3) this.buf = Buffer.allocUnsafe(text.length * 3);
    this.used = this.buf.write(text, 0, 'utf8');
    return wait ?? true;
  }

  /**
   * Hands the full buffer to the compressor (which keeps it; a new one is taken) and returns what
   * to wait for: the compressor's queue when it is long, else one turn of the event loop, so that
   * a producer which never waits still lets zlib's threadpool completions start the next chunk.
   */
  private flush(): Promise<void> {
    const chunk = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    return this.compress(chunk) ?? new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Queues bytes for the compressor; what to wait for when its queue is long, else null. */
  private compress(chunk: Buffer): Promise<void> | null {
    let room: boolean;
    try {
      room = this.entry.write(chunk);
    } catch (err) {
      return this.book.failed(err as Error);
    }
    return room ? null : this.entry.ready().catch((err: Error) => this.book.failed(err));
  }
}

function checkSheetName(name: string, taken: string[]): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > 31) throw new RangeError(`sheet name must be 1 to 31 characters: ${JSON.stringify(name)}`);
  if (INVALID_SHEET_NAME.test(name)) throw new RangeError(`sheet name may not contain \\ / ? * [ ] or : (${JSON.stringify(name)})`);
  if (name.startsWith("'") || name.endsWith("'")) throw new RangeError(`sheet name may not start or end with an apostrophe: ${JSON.stringify(name)}`);
  if (name.toLowerCase() === 'history') throw new RangeError('"History" is reserved by Excel');
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\u0000-\u001f]/.test(name)) throw new RangeError('sheet name may not contain control characters');
  if (taken.some((t) => t.toLowerCase() === name.toLowerCase())) throw new RangeError(`duplicate sheet name ${JSON.stringify(name)}`);
}
