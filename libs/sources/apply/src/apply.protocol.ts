import type { BatchStats, CheckpointKey } from '@casestats/projection-write';
import type { PackedBatch } from './message-split';

export interface ApplyWorkerData {
  databaseUrl: string;
  /** Connections: one per partition applied side by side. */
  poolSize: number;
  /** A statement's limit (APPLY_STATEMENT_TIMEOUT_MS unless given): a stuck batch fails and its lane retries. */
  statementTimeoutMs?: number;
  /** false only in the bench's control of the feed's cost (loggedCaseWrite): writes without the change log. */
  changeLog?: boolean;
}

/** A batch's checkpoint, with the offsets it spans: its first, and the one after its last. */
export type ApplyCheckpoint = CheckpointKey & { firstOffset: number; nextOffset: number };

/**
 * Where a batch comes from: a partition, whose checkpoint it moves, or a file's lane (`file:NAME`,
 * positions are line numbers, no checkpoint; `partition` is the lane, which applies its lines in order).
 */
export type ApplySource = ApplyCheckpoint | { source: string; partition: number };

export interface ApplyRequest {
  kind: 'apply';
  id: number;
  schema: string;
  from: ApplySource;
  batch: PackedBatch;
}

export type ToApplyWorker = ApplyRequest | { kind: 'dead-letters-sent'; id: number; error?: string };

export type FromApplyWorker =
  /** Its connections are open: batches can come. */
  | { kind: 'ready' }
  | { kind: 'not-ready'; message: string }
  /** Before applying: these must reach the dead-letter topic first (then `dead-letters-sent`). */
  | { kind: 'dead-letters'; id: number; letters: { index: number; code: string; reason: string; value: Uint8Array }[] }
  | { kind: 'applied'; id: number; stats: BatchStats }
  | { kind: 'failed'; id: number; message: string };
