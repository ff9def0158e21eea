import type { BatchStats } from '@casestats/projection-write';
import { DEFAULT_APPLY_THREADS } from '@casestats/config';
import type { ApplySource, ApplyWorkerData } from './apply.protocol';
import { BatchApplier, DeadLetterOut } from './batch-applier';
import type { FetchedBatch } from './message-split';

/**
 * Several apply workers, each batch to the one with the fewest in hand. Any worker may take any
 * batch: a partition's lane hands over its next batch only after the one before has been applied,
 * so a partition's order never depends on which thread applied what.
 */
export class BatchAppliers {
  private readonly appliers: Pick<BatchApplier, 'apply' | 'ready' | 'close'>[];
  private readonly inHand: number[];

  /** `threads`: DEFAULT_APPLY_THREADS when not given; at least one. */
  constructor(threads: number | undefined, data: ApplyWorkerData, make: (data: ApplyWorkerData) => Pick<BatchApplier, 'apply' | 'ready' | 'close'> = (d) => new BatchApplier(d)) {
    this.appliers = Array.from({ length: Math.max(1, threads ?? DEFAULT_APPLY_THREADS) }, () => make(data));
    this.inHand = this.appliers.map(() => 0);
  }

  async apply(
    schema: string,
    from: ApplySource,
    fetched: FetchedBatch,
    sendDeadLetters: (letters: DeadLetterOut[]) => Promise<void>,
  ): Promise<BatchStats> {
    let i = 0;
    for (let k = 1; k < this.appliers.length; k++) if (this.inHand[k] < this.inHand[i]) i = k;
    this.inHand[i]++;
    try {
      return await this.appliers[i].apply(schema, from, fetched, sendDeadLetters);
    } finally {
      this.inHand[i]--;
    }
  }

  async ready(): Promise<void> {
    await Promise.all(this.appliers.map((a) => a.ready()));
  }

  async close(): Promise<void> {
    await Promise.all(this.appliers.map((a) => a.close()));
  }
}
