/**
 * Worker thread: its share of the Case data sheet's rows, from PostgreSQL to UTF-8 sheet XML. It
 * joins the export's snapshot on a connection of its own and renders its slices in order, so that
 * the main thread only merges, compresses, encrypts and writes. Chunks go to the main thread by
 * transfer (no copy), at most `credits` ahead of it.
 */
import { parentPort } from 'node:worker_threads';
import { CaseSnapshot } from '@casestats/case-read';
import { SheetXml, type CellValue } from '@casestats/xlsx';
import { caseSheet } from './case-columns';
import type { CaseSheetJob, FromCaseSheetWorker, SnapshotRef, ToCaseSheetWorker } from './case-sheet.protocol';
import { Zone } from './zoned-time';

const CHUNK_BYTES = 1024 * 1024;

const join = (s: SnapshotRef) => CaseSnapshot.join(s.url, s.snapshotId, s.schema, s.selection);

async function run(job: CaseSheetJob, joined: Promise<CaseSnapshot> | null, port: NonNullable<typeof parentPort>): Promise<number> {
  let credits = job.credits;
  let wake: (() => void) | null = null;
  port.on('message', (m: ToCaseSheetWorker) => {
    if (m.kind !== 'credit') return;
    credits++;
    wake?.();
  });

  const snapshot = await (joined ?? join(job));
  let rendered = 0;
  try {
    const sheet = caseSheet(job.profileKeys, { zone: new Zone(job.timezone), caseUrlTemplate: job.caseUrlTemplate });
    const xml = new SheetXml(sheet.specs);
    // One array for every row's cells: xml.row() is done with it before the next row.
    const cells = new Array<CellValue>(sheet.specs.length);
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let used = 0;
    let rowsInChunk = 0;
    const send = async (last: boolean) => {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      credits--;
      // A fresh allocation this size owns its ArrayBuffer, which can be handed over whole.
      const buffer = buf.buffer as ArrayBuffer;
      port.postMessage({ kind: 'chunk', buffer, offset: buf.byteOffset, length: used, rows: rowsInChunk, last } satisfies FromCaseSheetWorker, [buffer]);
      buf = Buffer.allocUnsafe(CHUNK_BYTES);
      used = 0;
      rowsInChunk = 0;
    };
    for (const slice of job.slices) {
      let rowNumber = slice.firstRow;
      for await (const rows of snapshot.exportRows(slice)) {
        for (const row of rows) {
          const text = xml.row(sheet.toCells(row, cells), rowNumber++);
          // A UTF-16 code unit never takes more than 3 bytes of UTF-8.
          if (buf.length - used < text.length * 3) {
            await send(false);
            if (buf.length < text.length * 3) buf = Buffer.allocUnsafe(text.length * 3);
          }
          used += buf.write(text, used, 'utf8');
          rowsInChunk++;
        }
      }
      const count = rowNumber - slice.firstRow;
      // The slices were counted in this same snapshot: a difference means something is badly wrong.
      if (count !== slice.count) throw new Error(`slice from ${slice.from.toISOString()} had ${count} cases, counted ${slice.count}`);
      rendered += count;
      await send(true);
    }
  } finally {
    await snapshot.close();
  }
  return rendered;
}

if (parentPort) {
  const port = parentPort;
  port.postMessage({ kind: 'ready' } satisfies FromCaseSheetWorker);
  // Started ahead of its job (CaseSheetWorkers): the modules load while the export's first queries
  // run, and the snapshot may be joined before the job comes.
  let joined: Promise<CaseSnapshot> | null = null;
  const job = new Promise<CaseSheetJob>((resolve) => {
    const take = (m: ToCaseSheetWorker) => {
      if (m.kind === 'join') {
        joined = join(m.snapshot);
        // Awaited by run(); until then a failure must not go unhandled.
        joined.catch(() => undefined);
      }
      if (m.kind !== 'job') return;
      port.off('message', take);
      resolve(m.job);
    };
    port.on('message', take);
  });
  job.then((j) => run(j, joined, port)).then(
    (rows) => port.postMessage({ kind: 'done', rows } satisfies FromCaseSheetWorker),
    (err: Error & { code?: string }) => port.postMessage({ kind: 'error', message: err.message, name: err.name, code: err.code } satisfies FromCaseSheetWorker),
  );
}
