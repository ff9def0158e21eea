import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Inbox, WorkerThread } from '@casestats/config';
import type { CaseSlice } from '@casestats/case-read';
import type { CaseSheetJob, FromCaseSheetWorker, SnapshotRef, ToCaseSheetWorker } from './case-sheet.protocol';

export interface RenderedRows {
  /** UTF-8 sheet XML of whole rows, numbered on from the previous chunk. */
  xml: Buffer;
  rows: number;
}

export type CaseRowsJob = Omit<CaseSheetJob, 'credits' | 'slices'> & { slices: CaseSlice[] };

/** Chunks (1 MiB each) a worker may render ahead of the writer. */
const CREDITS = 4;
const WORKER_FILE = join(__dirname, 'case-sheet.worker.ts');

/**
 * Render workers, started before the export knows their job: a thread takes a few hundred
 * milliseconds to load its modules, which then overlaps the export's first queries.
 */
export class CaseSheetWorkers implements AsyncDisposable {
  private readonly pool: SheetWorker[];

  constructor(count = defaultWorkers()) {
    this.pool = Array.from({ length: Math.max(1, count) }, () => new SheetWorker());
  }

  /** Resolves once every thread has loaded its modules; never rejects (a failure surfaces in render()). */
  get ready(): Promise<void> {
    return Promise.all(this.pool.map((w) => w.ready)).then(() => undefined);
  }

  /**
   * Lets the workers join the export's snapshot now, before their job is known: their connections
   * open while the export's last queries run.
   */
  join(snapshot: SnapshotRef): void {
    for (const worker of this.pool) worker.join(snapshot);
  }

  /**
   * The Case data sheet's rows in order, rendered by the workers (case-sheet.worker.ts), which join
   * the export's snapshot and take the slices in turn: slice i goes to worker i mod n, and the
   * chunks are merged back in slice order. Reading, mapping and rendering then use every core
   * while this thread compresses, encrypts and writes. Once done (or left early: error, abort), the
   * workers are stopped, which closes their connections. Workers without a slice stop at once,
   * after closing the snapshot they joined, if they did.
   */
  async *render(job: CaseRowsJob): AsyncGenerator<RenderedRows> {
    try {
      const n = Math.min(this.pool.length, job.slices.length);
      if (!n) return;
      await Promise.all(this.pool.slice(n).map((w) => w.idle({ ...job, slices: [], credits: CREDITS })));
      const pool = this.pool.slice(0, n);
      let firstRow = 2;
      const numbered = job.slices.map((s) => {
        const slice = { from: s.from, toExclusive: s.toExclusive, count: s.count, firstRow };
        firstRow += s.count;
        return slice;
      });
      pool.forEach((w, i) => w.start({ ...job, slices: numbered.filter((_, k) => k % n === i), credits: CREDITS }));
      for (let i = 0; i < numbered.length; i++) {
        const worker = pool[i % n];
        for (;;) {
          const m = await worker.next();
          if (m.kind !== 'chunk') throw new Error(`the case sheet worker ended before slice ${i + 1} of ${numbered.length}`);
          if (m.length) yield { xml: Buffer.from(m.buffer, m.offset, m.length), rows: m.rows };
          worker.credit();
          if (m.last) break;
        }
      }
      for (const worker of pool) {
        const m = await worker.next();
        if (m.kind !== 'done') throw new Error('the case sheet worker sent rows beyond its slices');
      }
    } finally {
      await this.stop();
    }
  }

  /** Stops every worker (idempotent): an export that fails before rendering calls it too. */
  async stop(): Promise<void> {
    await Promise.all(this.pool.map((w) => w.stop()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * One core stays with this thread and the compressor; the rest render. Measured on 2 cores: a second
 * render worker there only competed for the same CPU (and cost its heap), so it starts from 3 cores.
 */
function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** One render thread and its inbox; an error message or an unexpected exit rejects next(). */
class SheetWorker {
  readonly ready: Promise<void>;
  private readonly inbox = new Inbox<Exclude<FromCaseSheetWorker, { kind: 'ready' }>>();
  private readonly thread: WorkerThread<FromCaseSheetWorker, ToCaseSheetWorker>;
  private loaded: (() => void) | null = null;
  private joined = false;

  constructor() {
    this.ready = new Promise<void>((resolve) => (this.loaded = resolve));
    // Rendering allocates a string per cell and row: a larger young generation means fewer scavenges
    // (measured: about 8% less CPU at 48 MB than V8's default).
    this.thread = new WorkerThread(
      WORKER_FILE,
      { name: 'case sheet worker', resourceLimits: { maxYoungGenerationSizeMb: 48 } },
      { message: (m) => (m.kind === 'ready' ? this.loaded?.() : this.inbox.push(m)), failed: (err) => this.inbox.fail(err) },
    );
  }

  async next(): Promise<Extract<FromCaseSheetWorker, { kind: 'chunk' | 'done' }>> {
    const m = await this.inbox.next();
    if (m.kind === 'error') throw Object.assign(new Error(m.message), { name: m.name, code: m.code });
    return m;
  }

  join(snapshot: SnapshotRef): void {
    this.joined = true;
    this.thread.post({ kind: 'join', snapshot });
  }

  /** Stops a worker that gets no slice; one that joined the snapshot is given `empty` first, so that it closes it. */
  async idle(empty: CaseSheetJob): Promise<void> {
    if (this.joined) {
      this.start(empty);
      await this.next().catch(() => undefined);
    }
    await this.stop();
  }

  start(job: CaseSheetJob): void {
    this.thread.post({ kind: 'job', job });
  }

  credit(): void {
    this.thread.post({ kind: 'credit' });
  }

  stop(): Promise<void> {
    return this.thread.stop();
  }
}
