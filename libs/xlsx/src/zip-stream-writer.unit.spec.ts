import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { findPython } from './spec-support/python-reader';
import { ZipStreamWriter, type ByteSink } from './zip-stream-writer';

const dir = mkdtempSync(join(tmpdir(), 'zip-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An in-memory sink that sometimes claims to be full, to exercise the pause/resume path. */
class MemorySink implements ByteSink {
  chunks: Buffer[] = [];
  bytes = 0;
  private since = 0;
  saturated = false;
  write(chunk: Buffer): void {
    this.chunks.push(Buffer.from(chunk));
    this.bytes += chunk.length;
    this.since += chunk.length;
    if (this.since > 256 * 1024) this.saturated = true;
  }
  drained(): Promise<void> {
    return new Promise((resolve) =>
      setTimeout(() => {
        this.saturated = false;
        this.since = 0;
        resolve();
      }, 1),
    );
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Python's zipfile (independent of this writer) reads the archive and checks every CRC. */
const ZIP_DUMP = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
out = []
for i in z.infolist():
    entry = {"name": i.filename, "size": i.file_size, "compressed": i.compress_size, "offset": i.header_offset}
    if i.file_size < 64 * 1024 * 1024:
        entry["sha256"] = hashlib.sha256(z.read(i)).hexdigest()
    out.append(entry)
json.dump({"bad": bad, "entries": out}, sys.stdout)
`;

interface ZipDump {
  bad: string | null;
  entries: { name: string; size: number; compressed: number; offset: number; sha256?: string }[];
}

function readWithZipfile(name: string, zip: Buffer): ZipDump {
  const path = join(dir, name);
  writeFileSync(path, zip);
  return JSON.parse(execFileSync(findPython(), ['-c', ZIP_DUMP, path], { encoding: 'utf8', maxBuffer: 1 << 26 }));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function streamEntry(zip: ZipStreamWriter, name: string, chunks: Iterable<Buffer>): Promise<void> {
  const entry = zip.openEntry(name);
  for (const c of chunks) if (!entry.write(c)) await entry.ready();
  await entry.end();
}

/** Offsets of a 4-byte little-endian signature in a buffer. */
function find(buf: Buffer, signature: number): number[] {
  const sig = Buffer.alloc(4);
  sig.writeUInt32LE(signature);
  const at: number[] = [];
  for (let i = buf.indexOf(sig); i >= 0; i = buf.indexOf(sig, i + 1)) at.push(i);
  return at;
}

describe('ZipStreamWriter', () => {
  const small = Buffer.from('<?xml version="1.0"?><a>small part 안녕</a>');
  // Partly compressible, partly not: 40 chunks of about 67 KB.
  const streamed = Array.from({ length: 40 }, (_, i) => Buffer.from(`<row r="${i}">` + randomBytes(50_000).toString('base64')));
  const streamedBytes = Buffer.concat(streamed);

  it('writes a plain archive without ZIP64 records when nothing needs them', async () => {
    const sink = new MemorySink();
    const zip = new ZipStreamWriter(sink);
    await zip.addFile('docProps/core.xml', small);
    await streamEntry(zip, 'xl/worksheets/sheet1.xml', streamed);
    await zip.addFile('[Content_Types].xml', small);
    expect(zip.finish()).toBe(sink.bytes);
    const buf = sink.buffer();

    const got = readWithZipfile('plain.zip', buf);
    expect(got.bad).toBeNull();
    expect(got.entries.map((e) => [e.name, e.size, e.sha256])).toEqual([
      ['docProps/core.xml', small.length, sha(small)],
      ['xl/worksheets/sheet1.xml', streamedBytes.length, sha(streamedBytes)],
      ['[Content_Types].xml', small.length, sha(small)],
    ]);
    expect(find(buf, 0x06064b50)).toEqual([]);
    expect(find(buf, 0x07064b50)).toEqual([]);
    // The streamed entry: version 4.5 and a data descriptor in its local header, a 16-byte descriptor.
    const streamedHeader = got.entries[1]!.offset;
    expect(buf.readUInt16LE(streamedHeader + 4)).toBe(45);
    expect(buf.readUInt16LE(streamedHeader + 6)).toBe(0x0808);
    const descriptor = find(buf, 0x08074b50)[0]!;
    expect(buf.readUInt32LE(descriptor + 8)).toBe(got.entries[1]!.compressed);
    expect(buf.readUInt32LE(descriptor + 12)).toBe(streamedBytes.length);
    for (const cd of find(buf, 0x02014b50)) expect(buf.readUInt16LE(cd + 6)).toBe(20);
  });

  it('writes entries opened behind another after it, whichever ends first, holding back one past its limit', async () => {
    const sink = new MemorySink();
    const zip = new ZipStreamWriter(sink);
    const ended: string[] = [];
    const write = async (entry: ReturnType<ZipStreamWriter['openEntry']>, name: string, chunks: Buffer[]) => {
      for (const c of chunks) if (!entry.write(c)) await entry.ready();
      await entry.end();
      ended.push(name);
    };
    const first = zip.openEntry('first.xml');
    const second = zip.openEntry('second.xml', { behind: true });
    const third = zip.openEntry('third.xml', { behind: true });
    // 12 MiB that deflate cannot shrink: more than an entry may hold while it waits its turn.
    const incompressible = Array.from({ length: 12 }, () => randomBytes(1024 * 1024));
    const thirdDone = write(third, 'third', incompressible);
    await write(second, 'second', streamed.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ended).toEqual(['second']);
    await write(first, 'first', streamed);
    await thirdDone;
    expect(ended).toEqual(['second', 'first', 'third']);
    await zip.addFile('last.xml', small);
    expect(zip.finish()).toBe(sink.bytes);

    const got = readWithZipfile('behind.zip', sink.buffer());
    expect(got.bad).toBeNull();
    const all = (chunks: Buffer[]) => Buffer.concat(chunks);
    expect(got.entries.map((e) => [e.name, e.size, e.sha256])).toEqual([
      ['first.xml', streamedBytes.length, sha(streamedBytes)],
      ['second.xml', all(streamed.slice(0, 10)).length, sha(all(streamed.slice(0, 10)))],
      ['third.xml', all(incompressible).length, sha(all(incompressible))],
      ['last.xml', small.length, sha(small)],
    ]);
    // In the archive in the order they were opened, whatever the order they ended in.
    const offsets = got.entries.map((e) => e.offset);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
  });

  it('writes ZIP64 central records and end records once values reach the threshold', async () => {
    const sink = new MemorySink();
    const zip = new ZipStreamWriter(sink, { zip64Threshold: 1000 });
    await zip.addFile('a.xml', small);
    await streamEntry(zip, 'big.xml', streamed);
    await zip.addFile('b.xml', small);
    zip.finish();
    const buf = sink.buffer();

    const got = readWithZipfile('zip64.zip', buf);
    expect(got.bad).toBeNull();
    expect(got.entries.map((e) => [e.name, e.size, e.sha256])).toEqual([
      ['a.xml', small.length, sha(small)],
      ['big.xml', streamedBytes.length, sha(streamedBytes)],
      ['b.xml', small.length, sha(small)],
    ]);

    const [a, big, b] = find(buf, 0x02014b50);
    // a.xml: small sizes, offset 0: no extra field. big.xml: both sizes in the extra, offset not.
    expect(buf.readUInt16LE(a! + 30)).toBe(0);
    expect(buf.readUInt32LE(big! + 20)).toBe(0xffffffff);
    expect(buf.readUInt32LE(big! + 24)).toBe(0xffffffff);
    expect(buf.readUInt16LE(big! + 6)).toBe(45);
    const bigExtra = big! + 46 + 'big.xml'.length;
    expect([buf.readUInt16LE(bigExtra), buf.readUInt16LE(bigExtra + 2)]).toEqual([1, 16]);
    expect(Number(buf.readBigUInt64LE(bigExtra + 4))).toBe(streamedBytes.length);
    expect(Number(buf.readBigUInt64LE(bigExtra + 12))).toBe(got.entries[1]!.compressed);
    // b.xml: small sizes but an offset past the threshold: only the offset in the extra.
    expect(buf.readUInt32LE(b! + 42)).toBe(0xffffffff);
    expect(buf.readUInt16LE(b! + 46 + 5 + 2)).toBe(8);
    // 8-byte sizes in the streamed entry's data descriptor.
    const descriptor = find(buf, 0x08074b50)[0]!;
    expect(Number(buf.readBigUInt64LE(descriptor + 16))).toBe(streamedBytes.length);
    // ZIP64 end record, its locator, and the classic end record pointing to them.
    const [end64] = find(buf, 0x06064b50);
    const [locator] = find(buf, 0x07064b50);
    expect(Number(buf.readBigUInt64LE(locator! + 8))).toBe(end64);
    expect(Number(buf.readBigUInt64LE(end64! + 32))).toBe(3);
    expect(buf.readUInt32LE(buf.length - 22 + 16)).toBe(0xffffffff);
  });

  it('streams an entry past 4 GiB with real ZIP64 sizes that zipfile verifies', async () => {
    const sink = new MemorySink();
    const zip = new ZipStreamWriter(sink, { level: 1 });
    const zeros = Buffer.alloc(1024 * 1024);
    const total = 4 * 1024 + 7; // MiB: just past 4 GiB
    await streamEntry(
      zip,
      'xl/worksheets/sheet1.xml',
      (function* () {
        for (let i = 0; i < total; i++) yield zeros;
      })(),
    );
    await zip.addFile('after.xml', small);
    zip.finish();
    const buf = sink.buffer();

    const got = readWithZipfile('huge.zip', buf);
    expect(got.bad).toBeNull();
    expect(got.entries[0]).toMatchObject({ name: 'xl/worksheets/sheet1.xml', size: total * 1024 * 1024 });
    expect(got.entries[1]).toMatchObject({ name: 'after.xml', size: small.length, sha256: sha(small) });
    expect(find(buf, 0x06064b50)).toEqual([]); // the archive itself stays small: no ZIP64 end record
  }, 60_000);

  it('puts the ZIP64 extra field in the local header of a known-size entry that needs it', async () => {
    const sink = new MemorySink();
    const zip = new ZipStreamWriter(sink, { zip64Threshold: 10 });
    await zip.addFile('a.xml', small);
    zip.finish();
    const buf = sink.buffer();
    expect(buf.readUInt16LE(4)).toBe(45);
    expect(buf.readUInt32LE(18)).toBe(0xffffffff);
    expect(buf.readUInt16LE(28)).toBe(20);
    expect(Number(buf.readBigUInt64LE(30 + 5 + 4))).toBe(small.length);
    const got = readWithZipfile('known-zip64.zip', buf);
    expect(got.bad).toBeNull();
    expect(got.entries[0]).toMatchObject({ name: 'a.xml', size: small.length, sha256: sha(small) });
  });

  it('deflates chunks in parallel into one stream that matches a one-shot deflate in size', async () => {
    // A 20 KB random phrase repeated: every repeat after the first is a match, also across chunk
    // edges, but only if each chunk is primed with the previous chunk's tail.
    const phrase = randomBytes(20_000).toString('base64');
    const text = Buffer.from(phrase.repeat(120));
    const chunks: Buffer[] = [];
    for (let at = 0; at < text.length; at += 25_000) chunks.push(text.subarray(at, at + 25_000));
    const sink = new MemorySink();
    const zip = new ZipStreamWriter(sink);
    await streamEntry(zip, 'big.xml', chunks);
    zip.finish();
    const buf = sink.buffer();
    const got = readWithZipfile('parallel.zip', buf);
    expect(got.bad).toBeNull();
    expect(got.entries[0]).toMatchObject({ name: 'big.xml', size: text.length, sha256: sha(text) });
    const oneShot = deflateRawSync(text, { level: 6 }).length;
    expect(got.entries[0]!.compressed).toBeLessThan(oneShot * 1.2);
    // The stream itself, inflated on its own, ends with a final block (inflate would throw otherwise).
    const data = buf.subarray(30 + 'big.xml'.length, 30 + 'big.xml'.length + got.entries[0]!.compressed);
    expect(inflateRawSync(data).equals(text)).toBe(true);
  });

  it('closes an entry that received no bytes with a valid empty deflate stream', async () => {
    const sink = new MemorySink();
    const zip = new ZipStreamWriter(sink);
    await streamEntry(zip, 'empty.xml', []);
    zip.finish();
    const got = readWithZipfile('empty.zip', sink.buffer());
    expect(got.bad).toBeNull();
    expect(got.entries[0]).toMatchObject({ name: 'empty.xml', size: 0, compressed: 2 });
  });

  it('rejects the waiting writer and end() when the entry is destroyed', async () => {
    const zip = new ZipStreamWriter(new MemorySink());
    const entry = zip.openEntry('a.xml');
    let room = true;
    for (let i = 0; room; i++) room = entry.write(randomBytes(1024 * 1024));
    const waiting = entry.ready();
    entry.destroy(new Error('disk gone'));
    await expect(waiting).rejects.toThrow('disk gone');
    await expect(entry.end()).rejects.toThrow('disk gone');
    expect(() => entry.write(Buffer.from('x'))).toThrow('disk gone');
  });

  it('refuses a second entry while one is open, and anything after finish', async () => {
    const zip = new ZipStreamWriter(new MemorySink());
    const entry = zip.openEntry('a.xml');
    expect(() => zip.openEntry('b.xml')).toThrow(/still open/);
    await entry.end();
    zip.finish();
    await expect(zip.addFile('c.xml', small)).rejects.toThrow(/already finished/);
  });
});
