import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '@casestats/config';
import type { BatchStats } from '@casestats/projection-write';
import type { ApplySource, ApplyWorkerData, FromApplyWorker, ToApplyWorker } from './apply.protocol';
import { FetchedBatch, keyOf } from './message-split';
import { sentLetters } from './sent-letters';

/** An invalid message, for the dead-letter topic: its key, value and offset as fetched, and why. */
export interface DeadLetterOut {
  key: Buffer | null;
  value: Buffer;
  offset: string;
  code: string;
  reason: string;
}

interface Pending {
  schema: string;
  from: ApplySource;
  fetched: FetchedBatch;
  sendDeadLetters: (letters: DeadLetterOut[]) => Promise<void>;
  resolve: (stats: BatchStats) => void;
  reject: (err: Error) => void;
}

const WORKER_FILE = join(__dirname, 'apply.worker.ts');

/**
 * Applies partition batches on a worker thread (apply.worker.ts): parsing, the projection and the
 * SQL run there, beside this thread's fetching and decoding, so a projector uses two cores. The
 * worker starts with ready() (or the first batch) and again with the next batch after it dies; a
 * batch it had in hand fails, and its lane resumes from the stored checkpoint as after any failure.
 */
export class BatchApplier {
  private worker: Worker | null = null;
  private started: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly data: ApplyWorkerData) {}

  apply(
    schema: string,
    from: ApplySource,
    fetched: FetchedBatch,
    sendDeadLetters: Pending['sendDeadLetters'],
  ): Promise<BatchStats> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const { batch } = fetched;
    return new Promise<BatchStats>((resolve, reject) => {
      this.pending.set(id, { schema, from, fetched, sendDeadLetters, resolve, reject });
      worker.postMessage({ kind: 'apply', id, schema, from, batch } satisfies ToApplyWorker, [batch.values]);
    });
  }

  /**
   * Starts the worker now and waits until its connections are open, so the first batch does not
   * wait for its start (about two seconds: modules, TypeORM, the pool).
   */
  async ready(): Promise<void> {
    if (!this.worker) this.start();
    await this.started;
  }

  /** Stops the worker; batches still in hand fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
    this.failAll(new Error('the batch applier was closed'));
  }

  private start(): Worker {
    const worker = startTypeScriptWorker(WORKER_FILE, this.data, { maxYoungGenerationSizeMb: 96 });
    this.started = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromApplyWorker) => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'not-ready') reject(new Error(`the batch applier could not open its connections: ${m.message}`));
        else this.onMessage(worker, m);
      });
      worker.once('exit', () => reject(new Error('the batch applier\'s worker exited before it was ready')));
    });
    // A failed start is reported by ready(), or fails the first batch; it must not go unhandled meanwhile.
    this.started.catch(() => undefined);
    worker.on('error', (err) => this.died(worker, err));
    worker.on('exit', (code) => this.died(worker, new Error(`the batch applier's worker exited (code ${code})`)));
    // It must not keep a stopping process alive on its own.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onMessage(worker: Worker, m: Exclude<FromApplyWorker, { kind: 'ready' | 'not-ready' }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.kind === 'dead-letters') {
      const letters = m.letters.map(({ index, code, reason, value }) => ({
        key: keyOf(p.fetched, index),
        value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
        offset: String(p.fetched.batch.offsets[index]),
        code,
        reason,
      }));
      const unsent = sentLetters.unsent(this.data.databaseUrl, p.schema, p.from, letters);
      (unsent.length ? p.sendDeadLetters(unsent) : Promise.resolve()).then(
        () => {
          sentLetters.sent(this.data.databaseUrl, p.schema, p.from, unsent);
          worker.postMessage({ kind: 'dead-letters-sent', id: m.id } satisfies ToApplyWorker);
        },
        (err: Error) => worker.postMessage({ kind: 'dead-letters-sent', id: m.id, error: err.message } satisfies ToApplyWorker),
      );
      return;
    }
    this.pending.delete(m.id);
    if (m.kind === 'applied') p.resolve(m.stats);
    else p.reject(new Error(m.message));
  }

  private died(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.failAll(err);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
