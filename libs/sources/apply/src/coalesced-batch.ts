import type { LaneJob } from './partition-lanes';
import { FetchedBatch, concatFetched } from './message-split';

/** What one fetch carries at most per partition (kafkajs's default, said here because it matters). */
export const FETCH_BYTES_PER_PARTITION = 1024 * 1024;

/** What one transaction carries at most per partition when fetches join it. */
export const COALESCE_MAX_BYTES = 8 * 1024 * 1024;

/**
 * The fetched batches of one partition that one transaction applies. A batch fetched while its
 * partition's last job still waits to start joins that job (up to `maxBytes`), so fetches stay
 * small while transactions grow with the backlog: under load one transaction carries many
 * fetches, and when idle each fetch is applied alone, at once. Small fetches matter on the
 * consumer's thread: kafkajs keeps every message of a fetch alive until it has decoded the last,
 * and an 8 MB fetch per partition doubled that thread's garbage collection.
 */
export class CoalescedBatch implements LaneJob {
  readonly firstOffset: number;
  private readonly parts: FetchedBatch[];
  private bytes: number;

  /**
   * `target`: where `apply` writes (the projection's schema); only a job for the same target is
   * joined, so a batch never lands in another schema than the one it was fetched for.
   */
  constructor(
    private readonly target: string,
    first: FetchedBatch,
    private readonly apply: (fetched: FetchedBatch) => Promise<{ resumeAt: number } | void>,
    private readonly maxBytes = COALESCE_MAX_BYTES,
  ) {
    this.firstOffset = first.span.firstOffset;
    this.parts = [first];
    this.bytes = first.batch.values.byteLength;
  }

  join(next: LaneJob): boolean {
    if (!(next instanceof CoalescedBatch) || next.target !== this.target || next.parts.length !== 1) return false;
    const size = next.parts[0].batch.values.byteLength;
    if (this.bytes + size > this.maxBytes) return false;
    this.parts.push(next.parts[0]);
    this.bytes += size;
    return true;
  }

  run(): Promise<{ resumeAt: number } | void> {
    return this.apply(concatFetched(this.parts));
  }
}
