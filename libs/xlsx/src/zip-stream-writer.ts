import * as zlib from 'node:zlib';

/**
 * A forward-only ZIP writer for OOXML packages. Our own rather than a library's (yazl streams
 * entries of unknown size and writes ZIP64 too) for two reasons: a sheet is deflated in parallel
 * 1 MiB pieces on the thread pool (README, "Why the XLSX writer is our own"), and Excel's
 * local-header quirk below, which no library lays out this way.
 *
 * Layout choices, for Excel's sake:
 * - Streamed entries carry a data descriptor (flag bit 3) and say "version 4.5 needed" in their
 *   local header with no ZIP64 extra field there: Excel asks to repair a package whose entry
 *   passes 4 GiB when the local header says less than 4.5, and some Excel builds reject ZIP64 extra
 *   fields in local headers of small entries.
 * - The data descriptor has 8-byte sizes only when a size needs them.
 * - ZIP64 extra fields in the central directory, and the ZIP64 end records, appear only when a
 *   value does not fit: Excel and LibreOffice have refused packages with needless ZIP64 end records.
 */

export interface ByteSink {
  write(chunk: Buffer): void;
  /** True while the sink holds more than it wants; wait for drained() before sending more. */
  readonly saturated: boolean;
  drained(): Promise<void>;
}

export interface ZipOptions {
  /** zlib level, 0–9; 6 by default. */
  level?: number;
  /** Modification time stamped on every entry. */
  date?: Date;
  /**
   * Values at or above this are written as ZIP64. Only tests lower it, to exercise the ZIP64
   * records without writing 4 GiB.
   */
  zip64Threshold?: number;
}

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const END = 0x06054b50;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const METHOD_DEFLATE = 8;
const VERSION_20 = 20;
const VERSION_45 = 45;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Uncompressed bytes queued for the compressor: above HIGH the producer waits until LOW. */
const QUEUE_HIGH = 4 * 1024 * 1024;
const QUEUE_LOW = 2 * 1024 * 1024;
/** Compressed bytes an entry opened behind another may hold in memory before its writer waits. */
const HOLD_BYTES = 8 * 1024 * 1024;

interface CentralEntry {
  name: Buffer;
  flags: number;
  crc: number;
  compressed: number;
  uncompressed: number;
  offset: number;
}

const crc32: (data: Buffer, value?: number) => number = typeof zlib.crc32 === 'function' ? zlib.crc32 : crc32Fallback;

export interface EntryOptions {
  /**
   * May open while other entries are still open: its bytes follow theirs in the archive, and are
   * held in memory (compressed, up to HOLD_BYTES, then its writer waits) until they have ended.
   */
  behind?: boolean;
}

export class ZipStreamWriter {
  private offset = 0;
  private readonly entries: CentralEntry[] = [];
  /** The streamed entries still open or held, in archive order: the first writes to the sink. */
  private readonly lanes: Lane[] = [];
  private finished = false;
  private readonly level: number;
  private readonly dosTime: number;
  private readonly dosDate: number;
  readonly zip64Threshold: number;

  constructor(
    private readonly sink: ByteSink,
    opts: ZipOptions = {},
  ) {
    this.level = opts.level ?? 6;
    if (!Number.isInteger(this.level) || this.level < 0 || this.level > 9) throw new RangeError('compression level must be 0–9');
    this.zip64Threshold = opts.zip64Threshold ?? MAX32;
    const d = opts.date ?? new Date();
    this.dosTime = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
    this.dosDate = (Math.max(d.getFullYear() - 1980, 0) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  }

  /** Bytes handed to the sink so far. */
  get bytesWritten(): number {
    return this.offset;
  }

  /** A small entry whose content is known: compressed in the threadpool, sizes in the local header. */
  async addFile(name: string, data: Buffer): Promise<void> {
    this.assertIdle();
    const compressed = await new Promise<Buffer>((resolve, reject) =>
      zlib.deflateRaw(data, { level: this.level }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    this.assertIdle();
    const nameBytes = Buffer.from(name, 'utf8');
    const entry: CentralEntry = { name: nameBytes, flags: FLAG_UTF8, crc: crc32(data), compressed: compressed.length, uncompressed: data.length, offset: this.offset };
    // Sizes are known here, so a ZIP64 entry says so in its local header too (APPNOTE 4.5.3).
    const zip64 = this.big(entry.compressed) || this.big(entry.uncompressed);
    const h = localHeader(nameBytes, entry.flags, zip64 ? VERSION_45 : VERSION_20, this.dosTime, this.dosDate, zip64 ? 20 : 0);
    h.writeUInt32LE(entry.crc, 14);
    h.writeUInt32LE(zip64 ? MAX32 : entry.compressed, 18);
    h.writeUInt32LE(zip64 ? MAX32 : entry.uncompressed, 22);
    if (zip64) {
      const at = 30 + nameBytes.length;
      h.writeUInt16LE(0x0001, at);
      h.writeUInt16LE(16, at + 2);
      writeU64(h, entry.uncompressed, at + 4);
      writeU64(h, entry.compressed, at + 12);
    }
    this.emit(h);
    this.emit(compressed);
    this.entries.push(entry);
  }

  /** Starts a streamed entry; the next entry may start once this one's end() has resolved, or at once when it opens `behind` this one. */
  openEntry(name: string, opts: EntryOptions = {}): ZipEntryWriter {
    if (opts.behind && this.lanes.length) this.assertOpen();
    else this.assertIdle();
    const nameBytes = Buffer.from(name, 'utf8');
    const lane = new Lane(nameBytes, this.sink, (chunk) => this.emit(chunk));
    lane.write(localHeader(nameBytes, FLAG_UTF8 | FLAG_DESCRIPTOR, VERSION_45, this.dosTime, this.dosDate));
    const entry = new ZipEntryWriter(this.level, lane, (chunk) => lane.write(chunk), (crc, compressed, uncompressed) => {
      lane.write(this.dataDescriptor({ compressed, uncompressed, crc }));
      lane.done = { crc, compressed, uncompressed };
      this.advance();
    });
    this.lanes.push(lane);
    if (this.lanes.length === 1) lane.goLive(this.offset);
    return entry;
  }

  /** Records the entries that have ended at the head of the archive, and lets the next one write. */
  private advance(): void {
    for (let lane = this.lanes[0]; lane?.done; lane = this.lanes[0]) {
      this.entries.push({ name: lane.name, flags: FLAG_UTF8 | FLAG_DESCRIPTOR, ...lane.done, offset: lane.offset });
      this.lanes.shift();
      this.lanes[0]?.goLive(this.offset);
    }
  }

  /** Writes the central directory and end records; returns the size of the whole archive. */
  finish(): number {
    this.assertIdle();
    this.finished = true;
    const cdOffset = this.offset;
    for (const e of this.entries) this.emit(this.centralHeader(e));
    const cdSize = this.offset - cdOffset;
    const count = this.entries.length;
    const needZip64 = count >= MAX16 || this.big(cdOffset) || this.big(cdSize);
    if (needZip64) {
      const z = Buffer.alloc(56);
      z.writeUInt32LE(ZIP64_END, 0);
      writeU64(z, 44, 4); // size of the rest of this record
      z.writeUInt16LE(VERSION_45, 12);
      z.writeUInt16LE(VERSION_45, 14);
      writeU64(z, count, 24);
      writeU64(z, count, 32);
      writeU64(z, cdSize, 40);
      writeU64(z, cdOffset, 48);
      const zip64EndOffset = this.offset;
      this.emit(z);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(ZIP64_LOCATOR, 0);
      writeU64(loc, zip64EndOffset, 8);
      loc.writeUInt32LE(1, 16);
      this.emit(loc);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END, 0);
    end.writeUInt16LE(needZip64 ? MAX16 : count, 8);
    end.writeUInt16LE(needZip64 ? MAX16 : count, 10);
    end.writeUInt32LE(needZip64 ? MAX32 : cdSize, 12);
    end.writeUInt32LE(needZip64 ? MAX32 : cdOffset, 16);
    this.emit(end);
    return this.offset;
  }

  private big(v: number): boolean {
    return v >= this.zip64Threshold || v >= MAX32;
  }

  private dataDescriptor(e: Pick<CentralEntry, 'crc' | 'compressed' | 'uncompressed'>): Buffer {
    const wide = this.big(e.compressed) || this.big(e.uncompressed);
    const d = Buffer.alloc(wide ? 24 : 16);
    d.writeUInt32LE(DATA_DESCRIPTOR, 0);
    d.writeUInt32LE(e.crc, 4);
    if (wide) {
      writeU64(d, e.compressed, 8);
      writeU64(d, e.uncompressed, 16);
    } else {
      d.writeUInt32LE(e.compressed, 8);
      d.writeUInt32LE(e.uncompressed, 12);
    }
    return d;
  }

  private centralHeader(e: CentralEntry): Buffer {
    // APPNOTE 4.5.3: the ZIP64 extra holds, in this order, only the fields whose header value is 0xFFFFFFFF.
    const extra: number[] = [];
    const sizesBig = this.big(e.compressed) || this.big(e.uncompressed);
    if (sizesBig) extra.push(e.uncompressed, e.compressed);
    const offsetBig = this.big(e.offset);
    if (offsetBig) extra.push(e.offset);
    const extraLen = extra.length ? 4 + extra.length * 8 : 0;
    const h = Buffer.alloc(46 + e.name.length + extraLen);
    h.writeUInt32LE(CENTRAL_HEADER, 0);
    h.writeUInt16LE(VERSION_45, 4); // made by: MS-DOS attributes, spec 4.5
    h.writeUInt16LE(extra.length ? VERSION_45 : VERSION_20, 6);
    h.writeUInt16LE(e.flags, 8);
    h.writeUInt16LE(METHOD_DEFLATE, 10);
    h.writeUInt16LE(this.dosTime, 12);
    h.writeUInt16LE(this.dosDate, 14);
    h.writeUInt32LE(e.crc, 16);
    h.writeUInt32LE(sizesBig ? MAX32 : e.compressed, 20);
    h.writeUInt32LE(sizesBig ? MAX32 : e.uncompressed, 24);
    h.writeUInt16LE(e.name.length, 28);
    h.writeUInt16LE(extraLen, 30);
    h.writeUInt32LE(offsetBig ? MAX32 : e.offset, 42);
    e.name.copy(h, 46);
    if (extra.length) {
      const at = 46 + e.name.length;
      h.writeUInt16LE(0x0001, at);
      h.writeUInt16LE(extra.length * 8, at + 2);
      extra.forEach((v, i) => writeU64(h, v, at + 4 + i * 8));
    }
    return h;
  }

  private emit(chunk: Buffer): void {
    this.sink.write(chunk);
    this.offset += chunk.length;
  }

  private assertIdle(): void {
    this.assertOpen();
    if (this.lanes.length) throw new Error('the previous zip entry is still open');
  }

  private assertOpen(): void {
    if (this.finished) throw new Error('the zip archive is already finished');
  }
}

/**
 * Where one streamed entry's bytes go: to the archive once the entries before it have ended (it
 * is live), to memory until then. As a sink it is full while it holds HOLD_BYTES, and drained once
 * live and the archive's sink is.
 */
class Lane implements ByteSink {
  offset = 0;
  done: Pick<CentralEntry, 'crc' | 'compressed' | 'uncompressed'> | null = null;
  private live = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private waiting: (() => void)[] = [];

  constructor(
    readonly name: Buffer,
    private readonly sink: ByteSink,
    private readonly emit: (chunk: Buffer) => void,
  ) {}

  get saturated(): boolean {
    return this.live ? this.sink.saturated : this.heldBytes >= HOLD_BYTES;
  }

  drained(): Promise<void> {
    if (this.live) return this.sink.drained();
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.sink.drained());
  }

  write(chunk: Buffer): void {
    if (this.live) return this.emit(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
  }

  goLive(offset: number): void {
    this.offset = offset;
    this.live = true;
    for (const chunk of this.held) this.emit(chunk);
    this.held = [];
    this.heldBytes = 0;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/**
 * One streamed, deflated entry, compressed in parallel the way pigz does it: every chunk the caller
 * writes is deflated on its own in libuv's threadpool (so both cores compress while the caller
 * builds the next chunks), primed with the previous 32 KiB of input as its dictionary so matches
 * still reach back across chunk edges, and ended with a sync flush so the pieces concatenate into
 * one valid deflate stream. An empty final block closes it. Pieces are emitted strictly in order.
 * The queue is measured by the caller's own chunks, so the compressor never starves while the
 * caller waits.
 */
export class ZipEntryWriter {
  private crc = 0;
  private uncompressed = 0;
  private compressed = 0;
  /** Uncompressed bytes written but not yet emitted compressed. */
  private queued = 0;
  private readonly pieces: Piece[] = [];
  /** The last WINDOW bytes of input: the next piece's dictionary. */
  private window: Buffer | undefined;
  private waitingForSink = false;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private drainedAll: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private error: Error | null = null;
  private ended = false;

  constructor(
    private readonly level: number,
    private readonly sink: ByteSink,
    private readonly emit: (chunk: Buffer) => void,
    private readonly onDone: (crc: number, compressed: number, uncompressed: number) => void,
  ) {}

  /** Queues uncompressed bytes (the buffer is kept until compressed: do not reuse it); false means wait for ready(). */
  write(chunk: Buffer): boolean {
    if (this.error) throw this.error;
    if (this.ended) throw new Error('zip entry already ended');
    if (!chunk.length) return this.queued <= QUEUE_HIGH;
    this.crc = crc32(chunk, this.crc);
    this.uncompressed += chunk.length;
    this.queued += chunk.length;
    const piece: Piece = { size: chunk.length, out: null };
    this.pieces.push(piece);
    const dictionary = this.window;
    this.window = lastBytes(this.window, chunk, WINDOW);
    // An output buffer larger than any compressed chunk: one threadpool job deflates the whole chunk
    // (with zlib's default 16 KiB, each piece of output is a round trip through the main thread).
    const chunkSize = chunk.length + (chunk.length >> 3) + 1024;
    zlib.deflateRaw(chunk, { level: this.level, dictionary, chunkSize, finishFlush: zlib.constants.Z_SYNC_FLUSH }, (err, out) => {
      if (err) return this.fail(err);
      piece.out = out;
      this.pump();
    });
    return this.queued <= QUEUE_HIGH;
  }

  ready(): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.queued <= QUEUE_LOW) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Waits for every piece, closes the deflate stream and writes the data descriptor. */
  async end(): Promise<void> {
    if (this.error) throw this.error;
    this.ended = true;
    if (this.pieces.length) await new Promise<void>((resolve, reject) => (this.drainedAll = { resolve, reject }));
    if (this.error) throw this.error;
    this.emit(FINAL_EMPTY_BLOCK);
    this.compressed += FINAL_EMPTY_BLOCK.length;
    this.onDone(this.crc >>> 0, this.compressed, this.uncompressed);
  }

  destroy(err?: Error): void {
    this.fail(err ?? new Error('zip entry aborted'));
  }

  /** Emits finished pieces in order; stops while the file is behind, so memory stays bounded. */
  private pump(): void {
    if (this.error) return;
    while (!this.waitingForSink && this.pieces.length && this.pieces[0].out) {
      const piece = this.pieces.shift() as Piece;
      this.emit(piece.out as Buffer);
      this.compressed += (piece.out as Buffer).length;
      this.queued -= piece.size;
      if (this.sink.saturated) {
        this.waitingForSink = true;
        this.sink.drained().then(
          () => {
            this.waitingForSink = false;
            this.pump();
          },
          (err: Error) => this.fail(err),
        );
      }
    }
    if (this.queued <= QUEUE_LOW && this.waiters.length) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.resolve();
    }
    if (!this.pieces.length && this.drainedAll) {
      const done = this.drainedAll;
      this.drainedAll = null;
      done.resolve();
    }
  }

  private fail(err: Error): void {
    this.error ??= err;
    this.pieces.length = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(this.error);
    this.drainedAll?.reject(this.error);
    this.drainedAll = null;
  }
}

interface Piece {
  size: number;
  out: Buffer | null;
}

/** Deflate's window: a dictionary longer than this is never used. */
const WINDOW = 32 * 1024;
/** A final, empty, fixed-Huffman block: BFINAL=1, BTYPE=01, end-of-block. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

function lastBytes(previous: Buffer | undefined, chunk: Buffer, n: number): Buffer {
  if (chunk.length >= n || !previous) return Buffer.from(chunk.subarray(Math.max(0, chunk.length - n)));
  const joined = Buffer.concat([previous, chunk]);
  return joined.subarray(Math.max(0, joined.length - n));
}

function localHeader(name: Buffer, flags: number, version: number, time: number, date: number, extraLength = 0): Buffer {
  const h = Buffer.alloc(30 + name.length + extraLength);
  h.writeUInt32LE(LOCAL_HEADER, 0);
  h.writeUInt16LE(version, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt16LE(METHOD_DEFLATE, 8);
  h.writeUInt16LE(time, 10);
  h.writeUInt16LE(date, 12);
  // CRC and sizes stay zero here when a data descriptor follows the data.
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(extraLength, 28);
  name.copy(h, 30);
  return h;
}

function writeU64(b: Buffer, v: number, at: number): void {
  b.writeBigUInt64LE(BigInt(v), at);
}

let crcTable: Int32Array | undefined;
/** Only for Node versions before 20.15, which lack zlib.crc32. */
function crc32Fallback(data: Buffer, value = 0): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = ~value;
  const table = crcTable;
  for (const byte of data) c = (table[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return ~c >>> 0;
}
