import { createHash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { AgileEncryptor, SEGMENT_LENGTH, type AgileEncryptorOptions } from './agile-encryptor';
import { CfbLayout, SECTOR, type CfbStreamSpec } from './cfb-writer';
import { dataSpacesStreams } from './data-spaces';
import type { ByteSink } from './zip-stream-writer';

/** Plaintext gathered before a batch of segments is encrypted and written: 64 segments. */
const STAGE_BYTES = 64 * SEGMENT_LENGTH;
/** Ciphertext queued for the disk above which producers are asked to wait, and below which they resume. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;
const READ_BACK_CHUNK = 1024 * 1024;
const SIZE_PREFIX = 8;
const MINI_STREAM_CUTOFF = 4096;

const ENCRYPTED_PACKAGE = ['EncryptedPackage'];
const ENCRYPTION_INFO = ['EncryptionInfo'];

export interface EncryptedFileResult {
  path: string;
  bytes: number;
  /** SHA-256 (hex) of the final file. */
  sha256: string;
}

/**
 * An encrypted OOXML container being written: package bytes go in (in order), 4096-byte segments
 * are encrypted and written straight into the sectors that the EncryptedPackage stream will
 * occupy, from sector 0 on. Only ciphertext ever reaches the disk, and plaintext is held only for
 * the batch being encrypted. The compound-file header, directory, FAT and the small streams are
 * written by finish(), once the package size is known.
 */
export class EncryptedPackageFile implements ByteSink {
  private readonly stage = Buffer.allocUnsafe(STAGE_BYTES);
  private staged = 0;
  private segmentIndex = 0;
  private plainBytes = 0;
  private cipherBytes = 0;
  /** Ciphertext of a package too small to be written yet: it may end up in the mini stream. */
  private held: Buffer[] = [];
  private queued = 0;
  private writes: Promise<void> = Promise.resolve();
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;
  private state: 'open' | 'finishing' | 'done' | 'aborted' = 'open';

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly encryptor: AgileEncryptor,
  ) {}

  static async create(path: string, opts: AgileEncryptorOptions): Promise<EncryptedPackageFile> {
    // Options first: a bad one fails before any file exists. The keys derive meanwhile.
    const encryptor = new AgileEncryptor(opts);
    try {
      // Owner-only: the file is encrypted, but it is still personal data at rest.
      const fh = await open(path, 'w+', 0o600);
      return new EncryptedPackageFile(path, fh, encryptor);
    } catch (err) {
      await encryptor.dispose();
      throw err;
    }
  }

  get error(): Error | null {
    return this.failure;
  }

  get saturated(): boolean {
    return this.queued > HIGH_WATER;
  }

  drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queued <= LOW_WATER) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Never throws: it runs inside stream callbacks. A failure is reported by drained() and finish(). */
  write(chunk: Buffer): void {
    if (this.failure || this.state !== 'open') {
      this.fail(this.failure ?? new Error(`package written after ${this.state}`));
      return;
    }
    this.plainBytes += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, STAGE_BYTES - this.staged);
      chunk.copy(this.stage, this.staged, at, at + n);
      this.staged += n;
      at += n;
      if (this.staged === STAGE_BYTES) this.encryptStage();
    }
  }

  /** Completes the file; resolves with its size and SHA-256. On failure the file is deleted. */
  async finish(): Promise<EncryptedFileResult> {
    if (this.state !== 'open') throw new Error(`cannot finish: the file is ${this.state}`);
    this.state = 'finishing';
    try {
      if (this.failure) throw this.failure;
      this.encryptStage();
      await this.writes;
      if (this.failure) throw this.failure;
      const result = SIZE_PREFIX + this.cipherBytes < MINI_STREAM_CUTOFF ? await this.finishSmall() : await this.finishLarge();
      // On the disk before anyone is told the file is complete: after a power loss, a job marked
      // succeeded must not point at a file the page cache had not written yet.
      await this.fh.sync();
      await this.fh.close();
      this.state = 'done';
      await this.encryptor.dispose();
      return result;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Stops, and deletes whatever was written. Safe to call more than once; a finished file is left alone. */
  async abort(): Promise<void> {
    if (this.state === 'aborted' || this.state === 'done') return;
    this.state = 'aborted';
    this.fail(this.failure ?? new Error('aborted'));
    this.stage.fill(0);
    this.held = [];
    await this.writes.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
    await rm(this.path, { force: true });
    await this.encryptor.dispose();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(this.failure);
  }

  private encryptStage(): void {
    if (!this.staged) return;
    const out: Buffer[] = [];
    let bytes = 0;
    for (let at = 0; at < this.staged; at += SEGMENT_LENGTH) {
      const seg = this.encryptor.encryptSegment(this.segmentIndex++, this.stage.subarray(at, Math.min(at + SEGMENT_LENGTH, this.staged)));
      out.push(seg);
      bytes += seg.length;
    }
    // The plaintext must not outlive its encryption.
    this.stage.fill(0, 0, this.staged);
    this.staged = 0;
    const start = this.cipherBytes;
    this.cipherBytes += bytes;
    if (SIZE_PREFIX + this.cipherBytes < MINI_STREAM_CUTOFF) {
      // Possibly all there is: keep it until finish() knows whether it goes to the mini stream.
      this.held.push(...out);
      return;
    }
    if (this.held.length) {
      // What was held is the very beginning of the package.
      this.enqueueWrite([...this.held, ...out], SECTOR + SIZE_PREFIX);
      this.held = [];
      return;
    }
    this.enqueueWrite(out, SECTOR + SIZE_PREFIX + start);
  }

  private enqueueWrite(buffers: Buffer[], position: number): void {
    const bytes = buffers.reduce((n, b) => n + b.length, 0);
    this.queued += bytes;
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      try {
        const { bytesWritten } = await this.fh.writev(buffers, position);
        if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
      } catch (err) {
        this.fail(err as Error);
      } finally {
        this.queued -= bytes;
        if (this.queued <= LOW_WATER && !this.failure) {
          const waiters = this.waiters;
          this.waiters = [];
          for (const w of waiters) w.resolve();
        }
      }
    });
  }

  private sizePrefix(): Buffer {
    const b = Buffer.alloc(SIZE_PREFIX);
    b.writeBigUInt64LE(BigInt(this.plainBytes));
    return b;
  }

  private streams(packageSize: number, packageExternal: boolean): CfbStreamSpec[] {
    return [
      { path: ENCRYPTED_PACKAGE, size: packageSize, external: packageExternal },
      { path: ENCRYPTION_INFO, size: this.encryptor.encryptionInfoLength() },
      ...dataSpacesStreams().map((s) => ({ path: s.path, size: s.data.length })),
    ];
  }

  private streamData(info: Buffer, pkg?: Buffer): (path: string[]) => Buffer {
    const bySpacePath = new Map(dataSpacesStreams().map((s) => [s.path.join('/'), s.data]));
    return (path) => {
      const k = path.join('/');
      if (k === ENCRYPTION_INFO[0]) return info;
      if (k === ENCRYPTED_PACKAGE[0] && pkg) return pkg;
      const d = bySpacePath.get(k);
      if (!d) throw new Error(`no data for stream ${k}`);
      return d;
    };
  }

  /** A package under 4096 bytes lives in the mini stream: the whole file is built in memory. */
  private async finishSmall(): Promise<EncryptedFileResult> {
    const pkg = Buffer.concat([this.sizePrefix(), ...this.held]);
    this.held = [];
    const hmac = this.encryptor.createIntegrityHmac().update(pkg).digest();
    const layout = new CfbLayout(this.streams(pkg.length, false));
    const file = Buffer.concat([layout.header, ...layout.tail(this.streamData(await this.encryptor.encryptionInfo(hmac), pkg))]);
    if (file.length !== layout.fileSize) throw new Error('compound file size mismatch');
    await this.fh.truncate(0);
    await this.writeAll(file, 0);
    return { path: this.path, bytes: file.length, sha256: createHash('sha256').update(file).digest('hex') };
  }

  /**
   * The package already sits in sectors 0..n: patch its size prefix, then read it back once (it is
   * ciphertext) to compute both the integrity HMAC and the file's SHA-256, whose first bytes are
   * the header; the header depends only on sizes, so it is known before the HMAC is.
   */
  private async finishLarge(): Promise<EncryptedFileResult> {
    const streamSize = SIZE_PREFIX + this.cipherBytes;
    const layout = new CfbLayout(this.streams(streamSize, true));
    if (layout.externalOffset(ENCRYPTED_PACKAGE) !== SECTOR) throw new Error('EncryptedPackage must start at sector 0');
    await this.writeAll(this.sizePrefix(), SECTOR);
    const slack = layout.tailOffset - (SECTOR + streamSize);
    if (slack > 0) await this.writeAll(Buffer.alloc(slack), SECTOR + streamSize);

    const sha = createHash('sha256').update(layout.header);
    const hmac = this.encryptor.createIntegrityHmac();
    const buf = Buffer.allocUnsafe(READ_BACK_CHUNK);
    let hmacLeft = streamSize;
    for (let pos = SECTOR; pos < layout.tailOffset; ) {
      const want = Math.min(READ_BACK_CHUNK, layout.tailOffset - pos);
      const { bytesRead } = await this.fh.read(buf, 0, want, pos);
      if (bytesRead !== want) throw new Error(`short read of the encrypted package at ${pos}`);
      const chunk = buf.subarray(0, bytesRead);
      sha.update(chunk);
      const forHmac = Math.min(hmacLeft, bytesRead);
      if (forHmac > 0) hmac.update(chunk.subarray(0, forHmac));
      hmacLeft -= forHmac;
      pos += bytesRead;
    }

    let pos = layout.tailOffset;
    const info = await this.encryptor.encryptionInfo(hmac.digest());
    for (const piece of layout.tail(this.streamData(info))) {
      await this.writeAll(piece, pos);
      sha.update(piece);
      pos += piece.length;
    }
    if (pos !== layout.fileSize) throw new Error('compound file size mismatch');
    await this.writeAll(layout.header, 0);
    await this.fh.truncate(layout.fileSize);
    return { path: this.path, bytes: layout.fileSize, sha256: sha.digest('hex') };
  }

  private async writeAll(buf: Buffer, position: number): Promise<void> {
    const { bytesWritten } = await this.fh.write(buf, 0, buf.length, position);
    if (bytesWritten !== buf.length) throw new Error(`short write: ${bytesWritten} of ${buf.length} bytes`);
  }
}
