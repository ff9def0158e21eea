/**
 * Compound File Binary ([MS-CFB]) version 3 layout, written "big stream first": the caller streams
 * the large stream(s) straight into sectors 0.. of the file while their size is still unknown, and
 * only at the end asks for the header and for everything that follows them (small streams, mini
 * stream, directory, FAT, DIFAT). So no stream ever has to be buffered or copied.
 */

export const SECTOR = 512;
/** The largest stream of a version 3 compound file (MS-CFB 2.6.3). */
const MAX_V3_STREAM = 0x80000000;
const MINI_SECTOR = 64;
const MINI_STREAM_CUTOFF = 4096;
const HEADER_DIFAT_ENTRIES = 109;
const IDS_PER_SECTOR = SECTOR / 4;
const DIFAT_IDS_PER_SECTOR = IDS_PER_SECTOR - 1;
const DIR_ENTRY = 128;
const MAX_NAME_CHARS = 31;

const DIFSECT = 0xfffffffc;
const FATSECT = 0xfffffffd;
const ENDOFCHAIN = 0xfffffffe;
const FREESECT = 0xffffffff;
const NOSTREAM = 0xffffffff;

const TYPE_STORAGE = 1;
const TYPE_STREAM = 2;
const TYPE_ROOT = 5;
const RED = 0;
const BLACK = 1;

export interface CfbStreamSpec {
  /** Storage names then the stream name; storages are created as needed. */
  path: string[];
  size: number;
  /**
   * Written by the caller at `externalOffset(path)`, in contiguous regular sectors from sector 0 on,
   * in the order given. Must be at least 4096 bytes (smaller streams belong to the mini stream).
   */
  external?: boolean;
}

interface DirNode {
  name: string;
  type: number;
  children: DirNode[];
  id: number;
  left: number;
  right: number;
  child: number;
  color: number;
  start: number;
  size: number;
}

interface Run {
  start: number;
  count: number;
  /** What the FAT says for these sectors: a chain, or a marker for FAT/DIFAT sectors. */
  mark?: number;
}

/** [MS-CFB] 2.6.4: shorter names sort first, equal lengths compare by upper-cased UTF-16 units. */
export function compareNames(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  const ua = a.toUpperCase();
  const ub = b.toUpperCase();
  for (let i = 0; i < ua.length; i++) {
    const d = ua.charCodeAt(i) - ub.charCodeAt(i);
    if (d !== 0) return d;
  }
  return 0;
}

const key = (path: string[]) => path.join('/');

export class CfbLayout {
  readonly header: Buffer;
  /** File offset where the tail (everything after the external streams) starts. */
  readonly tailOffset: number;
  readonly fileSize: number;
  private readonly externals = new Map<string, number>();
  private readonly internal: { spec: CfbStreamSpec; node: DirNode; mini: boolean }[] = [];
  private readonly nodes: DirNode[] = [];
  private readonly runs: Run[] = [];
  private readonly miniRuns: Run[] = [];
  private readonly fatSectors: number[] = [];
  private readonly difatSectors: number[] = [];
  private readonly regularInternalSectors: number;
  private readonly miniStreamSectors: number;
  private readonly miniFatSectors: number;
  private readonly dirSectors: number;
  private readonly miniStreamStart: number;
  private readonly miniFatStart: number;
  private readonly dirStart: number;
  private readonly totalSectors: number;

  constructor(streams: CfbStreamSpec[]) {
    const root = this.node('Root Entry', TYPE_ROOT);
    const nodesByPath = new Map<string, DirNode>();
    for (const spec of streams) {
      if (!spec.path.length) throw new Error('a stream needs a name');
      let parent = root;
      spec.path.forEach((name, i) => {
        checkName(name);
        const isStream = i === spec.path.length - 1;
        const k = key(spec.path.slice(0, i + 1));
        let n = nodesByPath.get(k);
        if (!n) {
          n = this.node(name, isStream ? TYPE_STREAM : TYPE_STORAGE);
          nodesByPath.set(k, n);
          parent.children.push(n);
        } else if (isStream || n.type !== TYPE_STORAGE) {
          throw new Error(`duplicate compound file entry ${k}`);
        }
        parent = n;
      });
      if (!Number.isSafeInteger(spec.size) || spec.size < 0 || spec.size > MAX_V3_STREAM) {
        // MS-CFB 2.6.3: a version 3 file's stream size is at most 0x80000000 (readers take its low 32 bits).
        throw new RangeError(`stream ${key(spec.path)} must be at most 2 GiB in a version 3 compound file`);
      }
      parent.size = spec.size;
      if (spec.external) {
        if (spec.size < MINI_STREAM_CUTOFF) throw new Error(`external stream ${key(spec.path)} is smaller than the mini stream cutoff`);
      } else {
        this.internal.push({ spec, node: parent, mini: spec.size < MINI_STREAM_CUTOFF });
      }
    }

    let next = 0;
    const take = (count: number): number => {
      const start = next;
      next += count;
      if (count > 0) this.runs.push({ start, count });
      return count > 0 ? start : ENDOFCHAIN;
    };
    for (const spec of streams.filter((s) => s.external)) {
      const node = nodesByPath.get(key(spec.path));
      if (!node) throw new Error(`lost stream ${key(spec.path)}`);
      node.start = take(sectorsFor(spec.size, SECTOR));
      this.externals.set(key(spec.path), SECTOR + node.start * SECTOR);
    }
    this.tailOffset = SECTOR + next * SECTOR;

    const tailStart = next;
    for (const s of this.internal.filter((s) => !s.mini)) s.node.start = take(sectorsFor(s.spec.size, SECTOR));
    this.regularInternalSectors = next - tailStart;

    let miniNext = 0;
    for (const s of this.internal.filter((s) => s.mini)) {
      const count = sectorsFor(s.spec.size, MINI_SECTOR);
      s.node.start = count > 0 ? miniNext : ENDOFCHAIN;
      if (count > 0) this.miniRuns.push({ start: miniNext, count });
      miniNext += count;
    }
    root.size = miniNext * MINI_SECTOR;
    this.miniStreamSectors = sectorsFor(root.size, SECTOR);
    this.miniStreamStart = root.start = take(this.miniStreamSectors);
    this.miniFatSectors = sectorsFor(miniNext * 4, SECTOR);
    this.miniFatStart = take(this.miniFatSectors);

    this.linkTree(root);
    this.dirSectors = sectorsFor(this.nodes.length * DIR_ENTRY, SECTOR);
    this.dirStart = take(this.dirSectors);

    // The FAT must also describe its own sectors and those of the DIFAT: find the fixed point.
    let fat = 0;
    let difat = 0;
    for (;;) {
      const total = next + fat + difat;
      const needFat = sectorsFor(total * 4, SECTOR);
      const needDifat = needFat > HEADER_DIFAT_ENTRIES ? Math.ceil((needFat - HEADER_DIFAT_ENTRIES) / DIFAT_IDS_PER_SECTOR) : 0;
      if (needFat === fat && needDifat === difat) break;
      fat = needFat;
      difat = needDifat;
    }
    for (let i = 0; i < fat; i++) this.fatSectors.push(next + i);
    this.runs.push({ start: next, count: fat, mark: FATSECT });
    next += fat;
    for (let i = 0; i < difat; i++) this.difatSectors.push(next + i);
    if (difat) this.runs.push({ start: next, count: difat, mark: DIFSECT });
    next += difat;
    this.totalSectors = next;
    this.fileSize = SECTOR + next * SECTOR;
    this.header = this.renderHeader();
  }

  /** File offset at which the caller writes an external stream's bytes. */
  externalOffset(path: string[]): number {
    const at = this.externals.get(key(path));
    if (at === undefined) throw new Error(`no external stream ${key(path)}`);
    return at;
  }

  /**
   * Everything after the external streams, in file order, in pieces of at most 32 KiB (a large file
   * has a FAT of several MiB). `data` returns the bytes of each internal stream.
   */
  *tail(data: (path: string[]) => Buffer): Generator<Buffer> {
    const bytesOf = (spec: CfbStreamSpec) => {
      const b = data(spec.path);
      if (b.length !== spec.size) throw new Error(`stream ${key(spec.path)} is ${b.length} bytes, announced ${spec.size}`);
      return b;
    };
    for (const s of this.internal.filter((s) => !s.mini)) yield padTo(bytesOf(s.spec), SECTOR);

    if (this.miniStreamSectors) {
      const mini = Buffer.alloc(this.miniStreamSectors * SECTOR);
      let at = 0;
      for (const s of this.internal.filter((s) => s.mini)) {
        bytesOf(s.spec).copy(mini, at);
        at += sectorsFor(s.spec.size, MINI_SECTOR) * MINI_SECTOR;
      }
      yield mini;
      yield renderChains(this.miniRuns, 0, this.miniFatSectors * IDS_PER_SECTOR);
    }

    const dir = Buffer.alloc(this.dirSectors * SECTOR);
    this.nodes.forEach((n, i) => writeDirEntry(dir, i * DIR_ENTRY, n));
    for (let i = this.nodes.length; i < this.dirSectors * (SECTOR / DIR_ENTRY); i++) writeEmptyDirEntry(dir, i * DIR_ENTRY);
    yield dir;

    const perPiece = 64;
    for (let f = 0; f < this.fatSectors.length; f += perPiece) {
      const count = Math.min(perPiece, this.fatSectors.length - f);
      yield renderChains(this.runs, f * IDS_PER_SECTOR, count * IDS_PER_SECTOR);
    }

    if (this.difatSectors.length) {
      const difat = Buffer.alloc(this.difatSectors.length * SECTOR, 0xff);
      const rest = this.fatSectors.slice(HEADER_DIFAT_ENTRIES);
      for (let d = 0; d < this.difatSectors.length; d++) {
        const base = d * SECTOR;
        rest.slice(d * DIFAT_IDS_PER_SECTOR, (d + 1) * DIFAT_IDS_PER_SECTOR).forEach((id, i) => difat.writeUInt32LE(id, base + i * 4));
        difat.writeUInt32LE(this.difatSectors[d + 1] ?? ENDOFCHAIN, base + DIFAT_IDS_PER_SECTOR * 4);
      }
      yield difat;
    }
  }

  get sectorCount(): number {
    return this.totalSectors;
  }

  private node(name: string, type: number): DirNode {
    const n: DirNode = { name, type, children: [], id: -1, left: NOSTREAM, right: NOSTREAM, child: NOSTREAM, color: BLACK, start: 0, size: 0 };
    return n;
  }

  /** Numbers the entries depth first and turns each storage's children into a red-black tree. */
  private linkTree(root: DirNode): void {
    const visit = (n: DirNode) => {
      n.id = this.nodes.length;
      this.nodes.push(n);
      for (const c of n.children) visit(c);
    };
    visit(root);
    for (const n of this.nodes) {
      if (!n.children.length) continue;
      const sorted = [...n.children].sort((a, b) => compareNames(a.name, b.name));
      sorted.forEach((c, i) => {
        if (i > 0 && compareNames(sorted[i - 1]?.name ?? '', c.name) === 0) throw new Error(`duplicate compound file entry ${c.name}`);
      });
      n.child = balancedRedBlack(sorted);
    }
  }

  private renderHeader(): Buffer {
    const h = Buffer.alloc(SECTOR);
    Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(h, 0);
    h.writeUInt16LE(0x003e, 24); // minor version
    h.writeUInt16LE(0x0003, 26); // major version 3: 512-byte sectors
    h.writeUInt16LE(0xfffe, 28); // little-endian byte order mark
    h.writeUInt16LE(9, 30); // sector shift
    h.writeUInt16LE(6, 32); // mini sector shift
    h.writeUInt32LE(0, 40); // directory sector count: always 0 in version 3
    h.writeUInt32LE(this.fatSectors.length, 44);
    h.writeUInt32LE(this.dirStart, 48);
    h.writeUInt32LE(MINI_STREAM_CUTOFF, 56);
    h.writeUInt32LE(this.miniFatSectors ? this.miniFatStart : ENDOFCHAIN, 60);
    h.writeUInt32LE(this.miniFatSectors, 64);
    h.writeUInt32LE(this.difatSectors[0] ?? ENDOFCHAIN, 68);
    h.writeUInt32LE(this.difatSectors.length, 72);
    for (let i = 0; i < HEADER_DIFAT_ENTRIES; i++) h.writeUInt32LE(this.fatSectors[i] ?? FREESECT, 76 + i * 4);
    return h;
  }

  /** For tests: the sectors a reader should find for each part. */
  describe() {
    return {
      sectors: this.totalSectors,
      fatSectors: this.fatSectors.length,
      difatSectors: this.difatSectors.length,
      regularInternalSectors: this.regularInternalSectors,
      miniStreamSectors: this.miniStreamSectors,
      miniStreamStart: this.miniStreamStart,
    };
  }
}

function checkName(name: string): void {
  if (!name.length || name.length > MAX_NAME_CHARS || /[/\\:!]/.test(name)) {
    throw new Error(`invalid compound file entry name ${JSON.stringify(name)}`);
  }
}

const sectorsFor = (bytes: number, sector: number) => Math.ceil(bytes / sector);

function padTo(b: Buffer, multiple: number): Buffer {
  const rem = b.length % multiple;
  return rem === 0 ? b : Buffer.concat([b, Buffer.alloc(multiple - rem)]);
}

/**
 * A balanced binary search tree over sorted siblings, returned as the id of its root. Built by
 * middle splits, every level but the deepest is full, so colouring the deepest level red (when it
 * is not full) gives every path the same number of black nodes: a valid red-black tree, which
 * [MS-CFB] 2.6.4 asks for and strict readers check.
 */
function balancedRedBlack(sorted: DirNode[]): number {
  const depthOf = new Map<DirNode, number>();
  let maxDepth = 0;
  const build = (lo: number, hi: number, depth: number): number => {
    if (lo > hi) return NOSTREAM;
    const mid = (lo + hi + 1) >> 1;
    const n = sorted[mid] as DirNode; // lo <= mid <= hi
    depthOf.set(n, depth);
    maxDepth = Math.max(maxDepth, depth);
    n.left = build(lo, mid - 1, depth + 1);
    n.right = build(mid + 1, hi, depth + 1);
    return n.id;
  };
  const rootId = build(0, sorted.length - 1, 0);
  const perfect = sorted.length === 2 ** (maxDepth + 1) - 1;
  for (const n of sorted) n.color = !perfect && depthOf.get(n) === maxDepth ? RED : BLACK;
  return rootId;
}

/** FAT (or mini FAT) entries [from, from+count) for contiguous runs; anything else is free. */
function renderChains(runs: Run[], from: number, count: number): Buffer {
  const out = Buffer.alloc(count * 4, 0xff);
  const end = from + count;
  for (const run of runs) {
    const lo = Math.max(run.start, from);
    const hi = Math.min(run.start + run.count, end);
    for (let s = lo; s < hi; s++) {
      const v = run.mark ?? (s === run.start + run.count - 1 ? ENDOFCHAIN : s + 1);
      out.writeUInt32LE(v, (s - from) * 4);
    }
  }
  return out;
}

function writeDirEntry(buf: Buffer, at: number, n: DirNode): void {
  const name = Buffer.from(n.name, 'utf16le');
  name.copy(buf, at);
  buf.writeUInt16LE(name.length + 2, at + 64);
  buf[at + 66] = n.type;
  buf[at + 67] = n.color;
  buf.writeUInt32LE(n.left, at + 68);
  buf.writeUInt32LE(n.right, at + 72);
  buf.writeUInt32LE(n.child, at + 76);
  // CLSID, state bits and timestamps stay zero, as Excel leaves them for these entries.
  const isStream = n.type === TYPE_STREAM || n.type === TYPE_ROOT;
  buf.writeUInt32LE(isStream ? (n.size > 0 ? n.start : ENDOFCHAIN) : 0, at + 116);
  buf.writeUInt32LE(isStream ? n.size : 0, at + 120); // the high 32 bits stay zero in version 3
}

function writeEmptyDirEntry(buf: Buffer, at: number): void {
  buf.writeUInt32LE(NOSTREAM, at + 68);
  buf.writeUInt32LE(NOSTREAM, at + 72);
  buf.writeUInt32LE(NOSTREAM, at + 76);
}
