/**
 * Throughput and memory of @casestats/xlsx on export-like rows: 50 columns (8 date-times, 15
 * numbers, 27 strings: ids, names in Korean and English, tags, URLs, a few empty cells).
 *
 *   node bin/run-ts.js bench/xlsx-write.ts [rows=1000000] [level=6]
 *
 * Prints rows/s end to end (row generation included, measured separately too) and peak RSS.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncryptedWorkbook, toExcelSerial, type CellValue, type ColumnSpec } from '@casestats/xlsx';

const rows = Number(process.argv[2] ?? 1_000_000);
const level = Number(process.argv[3] ?? 6);

// A small deterministic PRNG: the bench must not measure Math.random's quality or cost.
let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const hex = (n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(rand() * 16)];
  return s;
};

const NAMES = ['김민준', '이서연', '박지후', '최하은', 'John Smith', 'Maria Garcia', '정도윤', '강서윤', 'Wei Chen', '조예준'];
const TAGS = ['refund', 'delivery', '배송문의', '환불요청', 'vip', 'bug-report', 'login', '결제오류'];
const MEDIA = ['app', 'web', 'email', 'kakao', 'line', 'instagram'];
const STATES = ['inProgress', 'completed'];
const DIRS = ['INBOUND', 'OUTBOUND'];

const columns: ColumnSpec[] = [];
const kinds: ('date' | 'number' | 'id' | 'name' | 'tag' | 'enum' | 'url' | 'text')[] = [];
for (let i = 0; i < 50; i++) {
  const k = i < 8 ? 'date' : i < 23 ? 'number' : ((['id', 'name', 'tag', 'enum', 'url', 'text'] as const)[i % 6] ?? 'text');
  kinds.push(k);
  columns.push({ header: `field${i}_${k}`, kind: k === 'date' ? 'date' : k === 'number' ? 'number' : 'string', width: k === 'url' ? 40 : undefined });
}

const base = Date.UTC(2025, 6, 1);
function makeRow(r: number): CellValue[] {
  const t = base + r * 15_000;
  const out: CellValue[] = new Array(50);
  for (let i = 0; i < 50; i++) {
    switch (kinds[i]) {
      case 'date':
        out[i] = rand() < 0.1 ? null : toExcelSerial(t + Math.floor(rand() * 3_600_000), 540);
        break;
      case 'number':
        out[i] = rand() < 0.1 ? null : i % 3 === 0 ? Math.floor(rand() * 100_000) : Math.floor(rand() * 20);
        break;
      case 'id':
        out[i] = hex(24);
        break;
      case 'name':
        out[i] = pick(NAMES);
        break;
      case 'tag':
        out[i] = rand() < 0.3 ? null : pick(TAGS) + ', ' + pick(TAGS);
        break;
      case 'enum':
        out[i] = i % 2 ? pick(STATES) : rand() < 0.5 ? pick(DIRS) : pick(MEDIA);
        break;
      case 'url':
        out[i] = `https://desk.example.com/#/channels/${r % 977}/user_chats/${hex(24)}`;
        break;
      default:
        out[i] = rand() < 0.5 ? '' : `상담 메모 ${r} — ${pick(TAGS)}`;
    }
  }
  return out;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'xlsx-bench-'));
  const path = join(dir, 'bench.xlsx');
  let peakRss = process.memoryUsage().rss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const timer = setInterval(sample, 100);
  try {
    let t = performance.now();
    const book = await createEncryptedWorkbook({ path, password: 'bench-password', compressionLevel: level });
    const keyMs = performance.now() - t;
    const sheet = book.addSheet('Case data', columns);
    for (let r = 0; r < rows; r++) {
      const wait = sheet.writeRow(makeRow(r));
      if (wait !== true && wait !== false) await wait;
      if (r % 100_000 === 0 && r) {
        sample();
        process.stderr.write(`  ${r} rows, ${((performance.now() - t) / 1000).toFixed(1)} s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, heap ${(process.memoryUsage().heapTotal / 2 ** 20).toFixed(0)} MiB, external ${(process.memoryUsage().external / 2 ** 20).toFixed(0)} MiB\n`);
      }
    }
    await sheet.end();
    const info = book.addSheet('Info', [{ header: 'k', kind: 'string' }, { header: 'v', kind: 'number' }]);
    info.writeRow(['rows', rows]);
    await info.end();
    const finishStart = performance.now();
    const result = await book.finish();
    const finishMs = performance.now() - finishStart;
    const secs = (performance.now() - t) / 1000;
    sample();
    // The process peak so far (the kernel's high-water mark), taken before anything else runs.
    const maxRss = process.resourceUsage().maxRSS * 1024;
    // Row generation alone, to tell the writer's cost from the generator's.
    const genRows = Math.min(rows, 100_000);
    t = performance.now();
    for (let r = 0; r < genRows; r++) makeRow(r);
    const genRate = genRows / ((performance.now() - t) / 1000);
    console.log(
      JSON.stringify(
        {
          rows,
          columns: 50,
          level,
          seconds: +secs.toFixed(2),
          rowsPerSecond: Math.round(rows / secs),
          generatorOnlyRowsPerSecond: Math.round(genRate),
          keyDerivationMs: Math.round(keyMs),
          finishMs: Math.round(finishMs),
          fileMiB: +(statSync(path).size / 2 ** 20).toFixed(1),
          bytes: result.bytes,
          peakRssMiB: Math.round(Math.max(peakRss, maxRss) / 2 ** 20),
        },
        null,
        2,
      ),
    );
  } finally {
    clearInterval(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
