import type { CaseSelection } from '@casestats/case-read';

/** The export's snapshot, which a worker joins on a connection of its own. */
export interface SnapshotRef {
  url: string;
  snapshotId: string;
  schema: string;
  selection: CaseSelection;
}

/** One worker's share of the Case data sheet: its slices, each with the sheet row it starts at. */
export interface CaseSheetJob extends SnapshotRef {
  slices: { from: Date; toExclusive: Date; firstRow: number; count: number }[];
  profileKeys: string[];
  timezone: string;
  caseUrlTemplate: string;
  /** Chunks the worker may send ahead of the main thread. */
  credits: number;
}

/** `ready`: the thread has loaded its modules (a start-up figure of the benchmark). `last` marks a slice's final chunk (which may hold no bytes when the slice ended on a chunk boundary). */
export type FromCaseSheetWorker =
  | { kind: 'ready' }
  | { kind: 'chunk'; buffer: ArrayBuffer; offset: number; length: number; rows: number; last: boolean }
  | { kind: 'done'; rows: number }
  | { kind: 'error'; message: string; name: string; code?: string };

/** `join` may come ahead of the job, so that the worker connects while the export's last queries run. */
export type ToCaseSheetWorker = { kind: 'join'; snapshot: SnapshotRef } | { kind: 'job'; job: CaseSheetJob } | { kind: 'credit' };
