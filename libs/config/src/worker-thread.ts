import type { ResourceLimits, Transferable } from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from './typescript-worker';

export interface WorkerThreadOptions {
  /** Named in the error of an exit nobody asked for. */
  name: string;
  workerData?: unknown;
  resourceLimits?: ResourceLimits;
  /** Lets the process exit while the thread still runs (a long-lived pool's idle threads). */
  unref?: boolean;
}

export interface WorkerThreadEvents<FromWorker> {
  message(m: FromWorker): void;
  /** The thread died: an uncaught error, or an exit that stop() did not ask for. Called once. */
  failed(err: Error): void;
}

/**
 * One worker thread running a TypeScript file, as the export's render workers and the projector's
 * apply workers both need it: its messages go to one handler, its death is reported once as an
 * Error, and stop() (or `await using`) ends it without reporting anything.
 */
export class WorkerThread<FromWorker, ToWorker> implements AsyncDisposable {
  private readonly worker: Worker;
  private done = false;

  constructor(file: string, opts: WorkerThreadOptions, on: WorkerThreadEvents<FromWorker>) {
    this.worker = startTypeScriptWorker(file, opts.workerData ?? null, opts.resourceLimits);
    const fail = (err: Error) => {
      if (this.done) return;
      this.done = true;
      on.failed(err);
    };
    this.worker.on('message', (m: FromWorker) => on.message(m));
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the ${opts.name} stopped unexpectedly (exit code ${code})`)));
    if (opts.unref) this.worker.unref();
  }

  /** False once the thread died or was stopped. */
  get alive(): boolean {
    return !this.done;
  }

  post(m: ToWorker, transfer?: readonly Transferable[]): void {
    this.worker.postMessage(m, transfer);
  }

  /** Ends the thread (idempotent); its exit is not a failure. */
  async stop(): Promise<void> {
    this.done = true;
    await this.worker.terminate();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * A worker's messages taken one at a time by whoever waits for them. A failure ends it, but only
 * after the messages that came before: a thread that said "done" and then exited has not failed.
 */
export class Inbox<T> {
  private readonly queue: T[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  push(m: T): void {
    this.queue.push(m);
    this.notify();
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  async next(): Promise<T> {
    while (!this.queue.length && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.queue.length) return this.queue.shift() as T;
    throw this.failure;
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }
}
