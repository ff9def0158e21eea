/**
 * One lane per partition: its batches are applied in order, one at a time, apart from kafkajs's
 * fetch loop. kafkajs fetches again only when every eachBatch of the last fetch has returned, so
 * an eachBatch that awaited its own transaction would leave the broker idle while the database
 * works and the database idle while kafkajs fetches and decodes. Here eachBatch only hands the
 * batch over and returns; it waits only while its lane is full, so memory stays bounded.
 *
 * Nothing here decides what is applied: every job is one transaction guarded by the partition's
 * stored checkpoint, so a job that runs late, twice, or after a rebalance changes nothing it
 * should not. A lane only keeps the work in order and says where to resume after a failure.
 */
export interface LaneJob {
  /** The first offset of the batch: where the partition resumes if this job fails. */
  firstOffset: number;
  /** Applies the batch; returns an offset to resume from instead of going on (a gap), or nothing. */
  run(): Promise<{ resumeAt: number } | void>;
  /** Takes a later job of its partition into itself while it waits to start: false when it will not (full). */
  join?(next: LaneJob): boolean;
}

export interface PartitionLanesOptions {
  /** Batches a lane holds, the one being applied included. */
  depth?: number;
  /** Moves the partition's fetch position: after a failure, or when a job asks to resume elsewhere. */
  resume(partition: number, offset: number): void;
  onError(partition: number, error: Error, retryInMs: number): void;
  /** Backoff after a failed job: starts here, doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

interface Lane {
  generation: number;
  size: number;
  tail: Promise<void>;
  /** While set, the lane waits to resume after a failure and takes no batch. */
  failedAt: number | null;
  /** The last job queued, until it starts: later jobs may join it (offer). */
  waiting: LaneJob | null;
  failures: number;
  room: (() => void)[];
}

export class PartitionLanes {
  private readonly lanes = new Map<number, Lane>();
  private readonly depth: number;
  private stopped = false;

  constructor(private readonly o: PartitionLanesOptions) {
    this.depth = o.depth ?? 2;
  }

  private lane(partition: number): Lane {
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = { generation: 0, size: 0, tail: Promise.resolve(), failedAt: null, waiting: null, failures: 0, room: [] };
      this.lanes.set(partition, lane);
    }
    return lane;
  }

  /**
   * Waits until the partition's lane has room, calling `heartbeat` meanwhile so the consumer stays
   * in its group. Resolves false when the lane takes no batch now (it is waiting to resume after a
   * failure, or the lanes are stopping): the caller then leaves the batch unresolved.
   */
  async admit(partition: number, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<boolean> {
    const lane = this.lane(partition);
    while (lane.size >= this.depth && lane.failedAt === null && !this.stopped && isRunning()) {
      const beat = setInterval(() => void heartbeat().catch(() => undefined), 2_000);
      await new Promise<void>((r) => lane.room.push(r));
      clearInterval(beat);
    }
    return lane.failedAt === null && !this.stopped && isRunning();
  }

  /**
   * Hands a job to the one waiting to start in its partition's lane, if that one takes it (join):
   * it then needs no room of its own. False when there is none, it is full, or the lane takes
   * nothing now; the caller then admits and pushes the job.
   */
  offer(partition: number, job: LaneJob): boolean {
    const lane = this.lane(partition);
    return lane.waiting !== null && lane.failedAt === null && !this.stopped && lane.waiting.join?.(job) === true;
  }

  /**
   * Hands a job over: to the one waiting in its lane (offer), or else into the lane once it has
   * room (admit, push). False when it was not taken: the lane takes nothing now, or `current()`
   * says the job is stale by the time there is room; the caller then leaves its batch unresolved.
   */
  async take(partition: number, job: LaneJob, heartbeat: () => Promise<void>, isRunning: () => boolean, current: () => boolean): Promise<boolean> {
    if (this.offer(partition, job)) return true;
    if (!(await this.admit(partition, heartbeat, isRunning)) || !current()) return false;
    this.push(partition, job);
    return true;
  }

  /**
   * Hands over a job that cannot wait for room (kafkajs has moved past its records already, so it
   * holds no fetch): joined or queued, unless the lane takes nothing now (then false).
   */
  append(partition: number, job: LaneJob): boolean {
    if (this.offer(partition, job)) return true;
    if (this.lane(partition).failedAt !== null || this.stopped) return false;
    this.push(partition, job);
    return true;
  }

  /** Queues a job behind the partition's others. */
  push(partition: number, job: LaneJob): void {
    const lane = this.lane(partition);
    const generation = lane.generation;
    lane.size++;
    lane.waiting = job;
    lane.tail = lane.tail.then(async () => {
      if (lane.waiting === job) lane.waiting = null;
      try {
        if (generation !== lane.generation || this.stopped) return;
        const outcome = await job.run();
        lane.failures = 0;
        if (outcome && generation === lane.generation) {
          this.reset([partition]);
          this.o.resume(partition, outcome.resumeAt);
        }
      } catch (err) {
        if (generation === lane.generation) this.fail(partition, lane, job.firstOffset, err as Error);
      } finally {
        lane.size--;
        lane.room.splice(0).forEach((r) => r());
      }
    });
  }

  /** Drops the queued jobs of these partitions (all when omitted); a job being applied finishes. */
  reset(partitions: Iterable<number> = this.lanes.keys()): void {
    for (const p of partitions) {
      const lane = this.lane(p);
      lane.generation++;
      lane.waiting = null;
      lane.room.splice(0).forEach((r) => r());
    }
  }

  /** Waits until every job handed over so far has run (a source that has handed over its last). */
  async drained(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((l) => l.tail));
  }

  /** Stops taking batches, drops the queued ones and waits for those being applied. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.reset();
    await Promise.all([...this.lanes.values()].map((l) => l.tail));
  }

  private fail(partition: number, lane: Lane, offset: number, error: Error): void {
    lane.generation++;
    lane.waiting = null;
    lane.failedAt = offset;
    const wait = Math.min(this.o.maxRetryMs ?? 30_000, (this.o.retryMs ?? 300) * 2 ** lane.failures++);
    this.o.onError(partition, error, wait);
    setTimeout(() => {
      lane.failedAt = null;
      lane.room.splice(0).forEach((r) => r());
      if (!this.stopped) this.o.resume(partition, offset);
    }, wait).unref();
  }
}
