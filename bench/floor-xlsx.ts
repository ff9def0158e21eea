/**
 * The floor the export is measured against (issue 6): a bare, single-threaded write of N rows x 50
 * columns to an UNENCRYPTED xlsx — sheet XML straight into a deflate-6 zip stream, no library, no
 * database. Deflate runs synchronously on the main thread (zlib's `_processChunk`, the engine behind
 * deflateRawSync), so nothing overlaps. Prints one JSON line: {rows, seconds, rowsPerSecond, peakRssMb}.
 * Usage: node bin/run-ts.js bench/floor-xlsx.ts ROWS OUT.xlsx
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { constants, createDeflateRaw, crc32 } from 'node:zlib';

const rows = Number(process.argv[2] ?? 100_000);
const out = process.argv[3] ?? '/tmp/floor.xlsx';
const COLS = 50;

interface ZlibInternals {
  _handle: { writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void };
  _writeState: Uint32Array;
}

/** zlib's synchronous engine, driven by hand so that one stream spans many calls (deflateRawSync is one-shot). */
function syncDeflater(level: number) {
  const z = createDeflateRaw({ level }) as unknown as ZlibInternals;
  return (input: Buffer, flush: number): Buffer[] => {
    const outs: Buffer[] = [];
    let inOff = 0;
    let availIn = input.length;
    for (;;) {
      const out = Buffer.allocUnsafe(128 * 1024);
      z._handle.writeSync(flush, input, inOff, availIn, out, 0, out.length);
      const [availOutAfter, availInAfter] = z._writeState;
      if (out.length - availOutAfter > 0) outs.push(out.subarray(0, out.length - availOutAfter));
      inOff += availIn - availInAfter;
      availIn = availInAfter;
      if (availOutAfter !== 0) return outs;
    }
  };
}
const fd = openSync(out, 'w');
let offset = 0;
const write = (buf: Buffer) => {
  writeSync(fd, buf);
  offset += buf.length;
};
const central: Buffer[] = [];

function localHeader(name: string): Buffer {
  const n = Buffer.from(name);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(0x0808, 6); // data descriptor follows, UTF-8 names
  h.writeUInt16LE(8, 8); // deflate
  h.writeUInt16LE(n.length, 26);
  return Buffer.concat([h, n]);
}

function addEntry(name: string, chunks: Iterable<string>) {
  const start = offset;
  write(localHeader(name));
  const deflate = syncDeflater(6);
  let crc = 0;
  let size = 0;
  let csize = 0;
  for (const chunk of chunks) {
    const buf = Buffer.from(chunk);
    crc = crc32(buf, crc);
    size += buf.length;
    for (const z of deflate(buf, constants.Z_NO_FLUSH)) {
      write(z);
      csize += z.length;
    }
  }
  for (const z of deflate(Buffer.alloc(0), constants.Z_FINISH)) {
    write(z);
    csize += z.length;
  }
  const dd = Buffer.alloc(16);
  dd.writeUInt32LE(0x08074b50, 0);
  dd.writeUInt32LE(crc >>> 0, 4);
  dd.writeUInt32LE(csize >>> 0, 8);
  dd.writeUInt32LE(size >>> 0, 12);
  write(dd);
  const n = Buffer.from(name);
  const c = Buffer.alloc(46);
  c.writeUInt32LE(0x02014b50, 0);
  c.writeUInt16LE(20, 4);
  c.writeUInt16LE(20, 6);
  c.writeUInt16LE(0x0808, 8);
  c.writeUInt16LE(8, 10);
  c.writeUInt32LE(crc >>> 0, 16);
  c.writeUInt32LE(csize >>> 0, 20);
  c.writeUInt32LE(size >>> 0, 24);
  c.writeUInt16LE(n.length, 28);
  c.writeUInt32LE(start >>> 0, 42);
  central.push(Buffer.concat([c, n]));
}

const esc = (s: string) => s.replace(/[<>&]/g, (ch) => (ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : '&amp;'));

function* sheet(): Generator<string> {
  yield '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>';
  let buf = '';
  for (let r = 0; r < rows; r++) {
    let row = '<row>';
    for (let c = 0; c < COLS; c++) {
      // A mix like a case row: ids and names as inline strings, times with a date style, counts.
      if (c % 5 === 0) row += `<c s="1"><v>${45839 + r / 86400 + c / 1000}</v></c>`;
      else if (c % 5 === 1) row += `<c><v>${(r * 7 + c) % 3600}</v></c>`;
      else row += `<c t="inlineStr"><is><t>${esc(`uc-${r}-${c} 상담`)}</t></is></c>`;
    }
    buf += `${row}</row>`;
    if (buf.length > 65_536) {
      yield buf;
      buf = '';
    }
  }
  yield `${buf}</sheetData></worksheet>`;
}

const started = process.hrtime.bigint();
addEntry('[Content_Types].xml', [
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
]);
addEntry('_rels/.rels', [
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
]);
addEntry('xl/workbook.xml', [
  '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Case data" sheetId="1" r:id="rId1"/></sheets></workbook>',
]);
addEntry('xl/_rels/workbook.xml.rels', [
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
]);
addEntry('xl/styles.xml', [
  '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts><fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>',
]);
addEntry('xl/worksheets/sheet1.xml', sheet());
const cdStart = offset;
for (const c of central) write(c);
const eocd = Buffer.alloc(22);
eocd.writeUInt32LE(0x06054b50, 0);
eocd.writeUInt16LE(central.length, 8);
eocd.writeUInt16LE(central.length, 10);
eocd.writeUInt32LE(offset - cdStart, 12);
eocd.writeUInt32LE(cdStart >>> 0, 16);
write(eocd);
closeSync(fd);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ rows, seconds, rowsPerSecond: Math.round(rows / seconds), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), bytes: offset }));
