import { Worker } from 'node:worker_threads';

/**
 * The thread's whole program: H0 = H(salt ‖ UTF-16LE password), then spinCount rounds of
 * H(uint32LE(i) ‖ H), SHA-512. Plain JavaScript given to the thread as its source, so that it runs
 * alike from the sources (tsx, vitest) and from a bundle, with no file of its own to ship.
 */
const ITERATE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash, hash } = require('node:crypto');
const { password, salt, spinCount } = workerData;
let h = createHash('sha512').update(salt).update(Buffer.from(password, 'utf16le')).digest();
// One reused buffer: per-round allocations would dominate 100,000 rounds.
const round = Buffer.alloc(4 + h.length);
for (let i = 0; i < spinCount; i++) {
  round.writeUInt32LE(i, 0);
  h.copy(round, 4);
  h = hash('sha512', round, 'buffer');
}
round.fill(0);
parentPort.postMessage(h);
h.fill(0);
`;

export interface PasswordHashing {
  /** Hn of [MS-OFFCRYPTO] 2.3.4.11, 64 bytes. */
  readonly result: Promise<Buffer>;
  /** Ends the thread if it still runs (idempotent); `result` then rejects. */
  stop(): Promise<void>;
}

/**
 * The iterated password hash of Agile encryption, on a thread of its own: 100,000 SHA-512 rounds
 * take about half a second of CPU, which would otherwise stall this thread's other work.
 */
export function iteratedPasswordHash(password: string, salt: Buffer, spinCount: number): PasswordHashing {
  // A young generation this small is plenty for 64-byte hashes.
  const worker = new Worker(ITERATE, { eval: true, workerData: { password, salt, spinCount }, resourceLimits: { maxYoungGenerationSizeMb: 1 } });
  const result = new Promise<Buffer>((resolve, reject) => {
    worker.once('message', (h: Uint8Array) => resolve(Buffer.from(h.buffer, h.byteOffset, h.byteLength)));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the password hashing thread ended without a result (exit code ${code})`)));
  });
  // Whoever awaits it sees a failure; nobody may await it at all (the file was aborted first).
  result.catch(() => undefined);
  return {
    result,
    stop: async () => {
      await worker.terminate();
    },
  };
}
