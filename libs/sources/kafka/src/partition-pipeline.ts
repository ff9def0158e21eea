import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { Log } from '@casestats/config';
import { BatchStats, readCheckpoints } from '@casestats/read-model';
import {
  type BatchAppliers,
  COALESCE_MAX_BYTES,
  CoalescedBatch,
  type DeadLetterOut,
  FETCH_BYTES_PER_PARTITION,
  type FetchedBatch,
  type OffsetSpan,
  PartitionLanes,
  packMessages,
} from '@casestats/source-apply';
import { batchSpan, onFilteredBatches } from './fetch-spans';
import { resumeAfterGap } from './offset-gaps';

/**
 * How long the group waits for a member that went silent (a SIGKILL) before it gives its
 * partitions to the others, or to the same process restarted. kafkajs's 30 s default kept a
 * restarted projector out of its partitions for 25-29 s; the brokers' minimum is 6 s, and the
 * lanes heartbeat every 2 s while a partition waits, so 10 s holds a member through long batches.
 */
export const SESSION_TIMEOUT_MS = 10_000;

export interface PartitionPipelineOptions {
  kafka: Kafka;
  db: DataSource;
  topic: string;
  /** The group that fetches: the live projector's, or a rebuild's own. */
  groupId: string;
  /** Whose checkpoints the batches move (the live projector's group, for a rebuild too). */
  checkpointConsumer: string;
  log: Log;
  applier: BatchAppliers;
  /** The schema that a batch fetched now is applied to. */
  target(): string;
  /**
   * Where each partition ends (a rebuild): nothing at or past it is applied, and `finished`
   * resolves once every partition has reached it. Without it the pipeline runs until stopped.
   */
  until?: Map<number, number>;
  /** Bytes one transaction carries at most per partition (COALESCE_MAX_BYTES unless given). */
  maxBatchBytes?: number;
  /** Sends a batch's dead letters before the transaction that moves past them; none are sent without it. */
  sendDeadLetters?(partition: number, letters: DeadLetterOut[]): Promise<void>;
  onApplied?(partition: number, stats: BatchStats, seconds: number): void;
}

/** A partition whose batches keep failing: since when, how often, and the last error. */
export interface PartitionFailure {
  partition: number;
  since: string;
  failures: number;
  error: string;
  retryInMs: number;
}

export interface PipelineStatus {
  /** `rejoining` from the start and from a rebalance until the group has given this member its partitions. */
  membership: 'rejoining' | 'member' | 'crashed';
  failing: PartitionFailure[];
}

/**
 * One partition pipeline: a kafkajs consumer hands each fetched batch to its partition's lane
 * (partition-lanes.ts), which applies the partition's batches in order on the apply threads
 * (BatchAppliers), each one transaction with its checkpoint. The live projector runs it until it
 * stops; a rebuild runs it with an end position per partition and waits for `finished`.
 *
 * Where a partition is, only PostgreSQL says: after every join and on `reposition()` (a rebuild's
 * switch) each assigned partition is sought to the target schema's checkpoint, nothing is
 * committed to Kafka, and a batch the checkpoint already covers changes nothing.
 */
export class PartitionPipeline {
  readonly finished: Promise<void>;
  private readonly consumer: Consumer;
  private readonly lanes: PartitionLanes;
  private assignment: number[] = [];
  /** Counts repositionings: a newer one (a rebalance, a switch) makes an older one's reads stale. */
  private repositions = 0;
  private repositionTimer?: NodeJS.Timeout;
  private stopping = false;
  private membership: PipelineStatus['membership'] = 'rejoining';
  private readonly failing = new Map<number, PartitionFailure>();
  /** With `until`: where each partition has got to (its stored checkpoint, then each batch's end). */
  private readonly reached = new Map<number, number>();
  private connected: Promise<void> | null = null;
  private finish!: () => void;
  private abort!: (err: Error) => void;

  constructor(private readonly o: PartitionPipelineOptions) {
    this.finished = new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      this.abort = reject;
    });
    this.finished.catch(() => undefined); // a live pipeline never waits for it
    this.consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: 2_000,
      // A database or broker outage is waited out: retries back off, and kafkajs restarts the consumer after a crash.
      retry: { initialRetryTime: 300, maxRetryTime: 30_000, retries: 12 },
      // Small fetches; under load they join into bigger transactions (CoalescedBatch), which amortise each one.
      maxBytesPerPartition: Math.min(FETCH_BYTES_PER_PARTITION, o.maxBatchBytes ?? COALESCE_MAX_BYTES),
    });
    this.lanes = new PartitionLanes({
      resume: (partition, offset) => this.seek(partition, offset),
      onError: (partition, error, retryInMs) => this.failed(partition, error, retryInMs),
    });
  }

  /** Connects the consumer (start does too): a caller may do it beside its own preparations. */
  connect(): Promise<void> {
    this.connected ??= this.consumer.connect();
    return this.connected;
  }

  /** Connects, joins the group and starts fetching; resolves once the consumer runs. */
  async start(): Promise<void> {
    await this.connect();
    await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    const { events } = this.consumer;
    this.consumer.on(events.REBALANCING, () => (this.membership = 'rejoining'));
    this.consumer.on(events.GROUP_JOIN, (e) => {
      this.membership = 'member';
      this.assign(e.payload.memberAssignment[this.o.topic] ?? []);
    });
    onFilteredBatches(this.consumer, this.o.topic, (partition, span) => this.onFilteredBatch(partition, span));
    this.consumer.on(events.CRASH, (e) => {
      this.o.log('error', 'consumer crashed', { error: String(e.payload.error), restart: e.payload.restart });
      this.membership = e.payload.restart ? 'rejoining' : 'crashed';
      if (!e.payload.restart) this.abort(e.payload.error);
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Partitions are independent (keyed by chat), so their transactions may run side by side;
      // the rows they share (users) are locked in one order, so they cannot deadlock.
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Finishes the batches being applied (the queued ones come again from the checkpoint) and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.repositionTimer);
    await this.lanes.stop();
    // A clean leave: the group gives the partitions away at once, not after the session timeout.
    await this.consumer.disconnect();
  }

  status(): PipelineStatus {
    return { membership: this.membership, failing: [...this.failing.values()].sort((a, b) => a.partition - b.partition) };
  }

  /** Every assigned partition resumes from the target schema's checkpoints (after a rebuild's switch). */
  reposition(): void {
    this.assign(this.assignment);
  }

  private seek(partition: number, offset: number): void {
    try {
      this.consumer.seek({ topic: this.o.topic, partition, offset: String(offset) });
    } catch (err) {
      // Not ours any more (a rebalance): its new owner starts from the stored checkpoint.
      this.o.log('info', 'seek skipped', { partition, error: (err as Error).message });
    }
  }

  /**
   * After a rebalance or a switch, every assigned partition resumes at the offset PostgreSQL stored
   * with its records. A failed read of the checkpoints (the database away during a rebalance) is
   * retried with backoff, never left unhandled. Until the seek, kafkajs fetches from its own
   * position, which is harmless: offsets the checkpoint covers are skipped, and a batch past it is a
   * gap that seeks back. (Pausing the partitions meanwhile cost every start and rebalance five
   * seconds: kafkajs sleeps its maxWaitTime when it has nothing to fetch, measured in the bench.)
   */
  private assign(assignment: number[]): void {
    const generation = ++this.repositions;
    clearTimeout(this.repositionTimer);
    this.assignment = assignment;
    for (const p of this.failing.keys()) if (!assignment.includes(p)) this.failing.delete(p);
    // Batches queued before would only be refused by the checkpoint; drop them.
    this.lanes.reset();
    if (!assignment.length) return;
    const current = () => generation === this.repositions && !this.stopping;
    const attempt = async (failures: number): Promise<void> => {
      try {
        await this.seekPartitions(assignment, current);
      } catch (err) {
        if (!current()) return;
        const retryInMs = Math.min(30_000, 300 * 2 ** failures);
        this.o.log('warn', 'could not seek the partitions to their checkpoints; retrying', {
          code: 'PROJECTOR.REPOSITION_FAILED',
          partitions: assignment,
          error: (err as Error).message,
          retryInMs,
        });
        this.repositionTimer = setTimeout(() => void attempt(failures + 1), retryInMs);
      }
    };
    void attempt(0);
  }

  private async seekPartitions(partitions: number[], current: () => boolean): Promise<void> {
    const stored = await readCheckpoints((text, params) => this.o.db.query(text, params), this.o.target(), this.o.checkpointConsumer, this.o.topic);
    if (!current()) return;
    // A partition without a checkpoint (new since the projection was built) starts at its
    // beginning: kafkajs would go on from wherever it was in the previous schema.
    for (const partition of partitions) {
      const offset = stored.get(partition) ?? 0;
      this.seek(partition, offset);
      this.reach(partition, offset);
    }
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!batch.messages.length || !isRunning() || isStale()) return;
    const { partition } = batch;
    const fetched = batchSpan(batch);
    const span = this.upToEnd(partition, fetched);
    if (!span) return; // past the end: nothing more to apply here
    // Only a batch reaching past the end is cut (a rebuild's last of each partition).
    const messages = span.nextOffset < fetched.nextOffset ? batch.messages.filter((m) => Number(m.offset) < span.nextOffset) : batch.messages;
    if (!(await this.lanes.take(partition, this.job(partition, packMessages(messages, span)), heartbeat, isRunning, () => !isStale()))) return;
    // kafkajs may fetch on from here (without it, it fetches the same batch again); where the
    // partition really is, PostgreSQL's checkpoint says.
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  /** A batch of filtered records only: its span alone, so that the checkpoint moves past them. */
  private onFilteredBatch(partition: number, filtered: OffsetSpan): void {
    const span = this.upToEnd(partition, filtered);
    if (span) this.lanes.append(partition, this.job(partition, packMessages([], span)));
  }

  /**
   * The schema is the one current when the batch was fetched: a batch applied to the old one after
   * a rebuild's switch is harmless, since the new schema's checkpoints say where to resume.
   */
  private job(partition: number, fetched: FetchedBatch): CoalescedBatch {
    const schema = this.o.target();
    return new CoalescedBatch(schema, fetched, (all) => this.apply(schema, partition, all), this.o.maxBatchBytes ?? COALESCE_MAX_BYTES);
  }

  private async apply(schema: string, partition: number, fetched: FetchedBatch): Promise<{ resumeAt: number } | void> {
    const started = process.hrtime.bigint();
    const { topic } = this.o;
    const checkpoint = { consumer: this.o.checkpointConsumer, topic, partition, ...fetched.span };
    const send = this.o.sendDeadLetters;
    const stats = await this.o.applier.apply(schema, checkpoint, fetched, send ? (letters) => send(partition, letters) : async () => undefined);
    this.failing.delete(partition);
    if (stats.gap) {
      const gap = { kafka: this.o.kafka, db: this.o.db, topic, consumer: this.o.checkpointConsumer, log: this.o.log };
      return resumeAfterGap(gap, schema, partition, stats.gap.storedNextOffset, fetched.span, !fetched.batch.offsets.length);
    }
    this.o.onApplied?.(partition, stats, Number(process.hrtime.bigint() - started) / 1e9);
    this.reach(partition, fetched.span.nextOffset);
  }

  private failed(partition: number, error: Error, retryInMs: number): void {
    const before = this.failing.get(partition);
    this.failing.set(partition, {
      partition,
      since: before?.since ?? new Date().toISOString(),
      failures: (before?.failures ?? 0) + 1,
      error: error.message.slice(0, 500),
      retryInMs,
    });
    this.o.log('warn', 'batch failed; resuming the partition from its first offset', { partition, error: error.message, retryInMs });
  }

  /** The part of a span below the partition's end (all of it without `until`); null when nothing is. */
  private upToEnd(partition: number, span: OffsetSpan): OffsetSpan | null {
    if (!this.o.until) return span;
    const end = this.o.until.get(partition) ?? 0;
    return span.firstOffset < end ? { firstOffset: span.firstOffset, nextOffset: Math.min(span.nextOffset, end) } : null;
  }

  private reach(partition: number, offset: number): void {
    const { until } = this.o;
    if (!until) return;
    this.reached.set(partition, Math.max(this.reached.get(partition) ?? 0, offset));
    if ([...until].every(([p, end]) => (this.reached.get(p) ?? 0) >= end)) this.finish();
  }
}
