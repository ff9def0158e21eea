import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CfbLayout, compareNames, type CfbStreamSpec } from './cfb-writer';
import { dataSpacesStreams } from './data-spaces';
import { findPython } from './spec-support/python-reader';

const dir = mkdtempSync(join(tmpdir(), 'cfb-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** olefile (msoffcrypto-tool's dependency) in its strict mode lists every stream with its SHA-256. */
const OLE_DUMP = `
import hashlib, json, sys, olefile
ole = olefile.OleFileIO(sys.argv[1], raise_defects=olefile.DEFECT_INCORRECT)
out = {}
for path in ole.listdir(streams=True, storages=False):
    data = ole.openstream(path).read()
    out["/".join(path)] = [len(data), hashlib.sha256(data).hexdigest()]
json.dump({"streams": out, "storages": ["/".join(p) for p in ole.listdir(streams=False, storages=True)]}, sys.stdout)
`;

function writeCompoundFile(name: string, streams: (CfbStreamSpec & { data: Buffer })[]): string {
  const layout = new CfbLayout(streams);
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  try {
    for (const s of streams.filter((s) => s.external)) writeSync(fd, s.data, 0, s.data.length, layout.externalOffset(s.path));
    let pos = layout.tailOffset;
    const byPath = new Map(streams.map((s) => [s.path.join('/'), s.data]));
    for (const piece of layout.tail((p) => byPath.get(p.join('/'))!)) {
      writeSync(fd, piece, 0, piece.length, pos);
      pos += piece.length;
    }
    writeSync(fd, layout.header, 0, layout.header.length, 0);
    expect(pos).toBe(layout.fileSize);
  } finally {
    closeSync(fd);
  }
  return path;
}

function readWithOlefile(path: string): { streams: Record<string, [number, string]>; storages: string[] } {
  return JSON.parse(execFileSync(findPython(), ['-c', OLE_DUMP, path], { encoding: 'utf8' }));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('compareNames', () => {
  it('orders by length first, then case-insensitively', () => {
    const names = ['TransformInfo', 'Version', 'DataSpaceMap', 'DataSpaceInfo', 'a', 'B'];
    expect([...names].sort(compareNames)).toEqual(['a', 'B', 'Version', 'DataSpaceMap', 'DataSpaceInfo', 'TransformInfo']);
  });
});

describe('CfbLayout', () => {
  it('builds valid red-black sibling trees for any number of siblings', () => {
    for (let n = 1; n <= 40; n++) {
      const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(2, '0')}`);
      const layout = new CfbLayout(names.map((name) => ({ path: [name], size: 10 })));
      const dirBuf = Buffer.concat([...layout.tail(() => Buffer.alloc(10))]).subarray(layout.describe().miniStreamSectors * 512 + 512);
      const entry = (id: number) => ({
        name: dirBuf.toString('utf16le', id * 128, id * 128 + dirBuf.readUInt16LE(id * 128 + 64) - 2),
        color: dirBuf[id * 128 + 67]!,
        left: dirBuf.readUInt32LE(id * 128 + 68),
        right: dirBuf.readUInt32LE(id * 128 + 72),
        child: dirBuf.readUInt32LE(id * 128 + 76),
      });
      const NONE = 0xffffffff;
      const inOrder: string[] = [];
      const blackHeights = new Set<number>();
      const walk = (id: number, blacks: number, parentRed: boolean) => {
        if (id === NONE) return void blackHeights.add(blacks);
        const e = entry(id);
        if (parentRed) expect(e.color, `red-red at ${e.name} (n=${n})`).toBe(1);
        walk(e.left, blacks + e.color, e.color === 0);
        inOrder.push(e.name);
        walk(e.right, blacks + e.color, e.color === 0);
      };
      const root = entry(0);
      expect(root.name).toBe('Root Entry');
      expect(entry(root.child).color).toBe(1);
      walk(root.child, 0, false);
      expect(inOrder).toEqual(names);
      expect(blackHeights.size, `black heights for n=${n}`).toBe(1);
    }
  });

  it('lays out a small file that olefile reads strictly, mini stream included', () => {
    const streams = [
      { path: ['EncryptedPackage'], size: 5000, external: true, data: randomBytes(5000) },
      { path: ['EncryptionInfo'], size: 1200, data: randomBytes(1200) },
      ...dataSpacesStreams().map((s) => ({ ...s, size: s.data.length })),
    ];
    const got = readWithOlefile(writeCompoundFile('small.cfb', streams));
    for (const s of streams) expect(got.streams[s.path.join('/')]).toEqual([s.data.length, sha(s.data)]);
    expect(got.storages.sort()).toEqual(
      ['\u0006DataSpaces', '\u0006DataSpaces/DataSpaceInfo', '\u0006DataSpaces/TransformInfo', '\u0006DataSpaces/TransformInfo/StrongEncryptionTransform'].sort(),
    );
  });

  it('needs DIFAT sectors once the FAT passes 109 sectors, and olefile follows them', () => {
    // 109 FAT sectors map 13,952 sectors (~6.8 MiB); 20 MiB needs about 330.
    const big = randomBytes(20 * 1024 * 1024 + 123);
    const inner = randomBytes(6000); // a regular-sector stream in the tail, not in the mini stream
    const streams = [
      { path: ['Big'], size: big.length, external: true, data: big },
      { path: ['Inner'], size: inner.length, data: inner },
      { path: ['Tiny'], size: 3, data: Buffer.from('abc') },
    ];
    const layout = new CfbLayout(streams);
    expect(layout.describe().fatSectors).toBeGreaterThan(109);
    expect(layout.describe().difatSectors).toBeGreaterThanOrEqual(2);
    expect(layout.describe().fatSectors * 128).toBeGreaterThanOrEqual(layout.sectorCount);
    expect(layout.header.readUInt32LE(72)).toBe(layout.describe().difatSectors);
    const got = readWithOlefile(writeCompoundFile('big.cfb', streams));
    for (const s of streams) expect(got.streams[s.path.join('/')]).toEqual([s.data.length, sha(s.data)]);
  });

  it('refuses what a version 3 file cannot hold', () => {
    expect(() => new CfbLayout([{ path: ['x'], size: 100, external: true }])).toThrow(/mini stream cutoff/);
    expect(() => new CfbLayout([{ path: ['x'], size: 2 ** 31 + 1, external: true }])).toThrow(/at most 2 GiB/);
    expect(() => new CfbLayout([{ path: ['x'], size: 2 ** 31, external: true }])).not.toThrow();
    expect(() => new CfbLayout([{ path: ['a/b'], size: 1 }])).toThrow(/invalid compound file entry name/);
    expect(() => new CfbLayout([{ path: ['x'], size: 1 }, { path: ['X'], size: 1 }])).toThrow(/duplicate/);
  });
});
