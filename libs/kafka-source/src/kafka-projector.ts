import { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { activeSchema, dataSourceUrl, readCheckpoints } from '@casestats/read-model';
import type { DeadLetterOut } from './batch-applier';
import { BatchAppliers } from './batch-appliers';
import { ProjectorMetrics } from './projector-metrics';
import { PartitionLanes } from './partition-lanes';
import { FetchedBatch, OffsetSpan, batchSpan, onFilteredBatches, packMessages } from './message-split';
import { GapContext, resumeAfterGap } from './offset-gaps';
import { CoalescedBatch, FETCH_BYTES_PER_PARTITION } from './coalesced-batch';
import { partitionPositions } from './topic-positions';
import type { Log } from '@casestats/config';

/** The one log shape of the apps (libs/config's jsonLog writes it). */
export type { Log };

export interface KafkaProjectorOptions {
  kafka: Kafka;
  db: DataSource;
  topic: string;
  dlqTopic: string;
  groupId: string;
  log: Log;
  metrics?: ProjectorMetrics;
  /** Partitions of a topic this projector creates when it does not exist yet. */
  partitions?: number;
  /** Worker threads applying batches (config.projector.applyThreads); DEFAULT_APPLY_THREADS unless given. */
  applyThreads?: number;
}

/**
 * Kafka → the one projection path. Each partition batch becomes one PostgreSQL transaction that
 * writes the records and the partition's next offset (applyBatch); that stored offset, not Kafka's
 * committed one, decides where a partition resumes, and it makes a redelivered or stale batch a
 * no-op. Invalid events go to the dead-letter topic before the transaction that moves past them.
 */
export class KafkaProjector {
  readonly metrics: ProjectorMetrics;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private lagTimer?: NodeJS.Timeout;
  private schemaTimer?: NodeJS.Timeout;
  private assignment: number[] = [];
  private schema: string | null = null;
  /** Counts repositionings: a newer one (a rebalance, a switch) makes an older one's reads stale. */
  private repositions = 0;
  private repositionTimer?: NodeJS.Timeout;
  private stopping = false;
  private readonly lanes: PartitionLanes;
  private readonly applier: BatchAppliers;
  private readonly gaps: GapContext;

  constructor(private readonly o: KafkaProjectorOptions) {
    this.metrics = o.metrics ?? new ProjectorMetrics();
    this.consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // A database or broker outage is waited out: retries back off, and kafkajs restarts the consumer after a crash.
      retry: { initialRetryTime: 300, maxRetryTime: 30_000, retries: 12 },
      // Small fetches; under load they join into bigger transactions (CoalescedBatch), which amortise each one.
      maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
    });
    this.producer = o.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.applier = new BatchAppliers(o.applyThreads, { databaseUrl: dataSourceUrl(o.db, 'projector'), poolSize: 3 });
    this.gaps = { kafka: o.kafka, db: o.db, topic: o.topic, consumer: o.groupId, log: o.log };
    this.lanes = new PartitionLanes({
      resume: (partition, offset) => this.seek(partition, offset),
      onError: (partition, error, retryInMs) =>
        o.log('warn', 'batch failed; resuming the partition from its first offset', { partition, error: error.message, retryInMs }),
    });
  }

  private seek(partition: number, offset: number): void {
    try {
      this.consumer.seek({ topic: this.o.topic, partition, offset: String(offset) });
    } catch (err) {
      // Not ours any more (a rebalance): its new owner starts from the stored checkpoint.
      this.o.log('info', 'seek skipped', { partition, error: (err as Error).message });
    }
  }

  async start(): Promise<void> {
    // Everything that does not depend on something else runs at once: the apply threads load
    // (0.2-0.6 s) while the topics are checked, the clients connect and the group is joined, and
    // batches fetched meanwhile wait in their lanes (measured: the first batch stored 1.26 -> 0.91 s after the start).
    const appliers = this.applier.ready();
    appliers.catch(() => undefined); // awaited below
    const [, , , schema] = await Promise.all([this.ensureTopics(), this.producer.connect(), this.consumer.connect(), activeSchema(this.o.db)]);
    this.schema = schema;
    await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => this.reposition(e.payload.memberAssignment[this.o.topic] ?? []));
    onFilteredBatches(this.consumer, this.o.topic, (partition, span) => this.onFilteredBatch(partition, span));
    this.consumer.on(this.consumer.events.CRASH, (e) =>
      this.o.log('error', 'consumer crashed', { error: String(e.payload.error), restart: e.payload.restart }),
    );
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Partitions are independent (keyed by chat), so their transactions may run side by side;
      // the rows they share (users) are locked in one order, so they cannot deadlock.
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.onBatch(payload),
    });
    // Apply threads that cannot start still fail the start (the caller then stops the consumer).
    await appliers;
    this.lagTimer = setInterval(() => void this.lag().catch(() => undefined), 5_000);
    // A rebuild's switch is noticed here, within a second, busy or idle.
    this.schemaTimer = setInterval(() => void this.followSwitch().catch(() => undefined), 1_000);
    this.o.log('info', 'projector consuming', { topic: this.o.topic, groupId: this.o.groupId });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.lagTimer);
    clearInterval(this.schemaTimer);
    clearTimeout(this.repositionTimer);
    // The batches being applied finish (SIGTERM loses nothing); the queued ones come again from the checkpoint.
    await this.lanes.stop();
    await this.applier.close();
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async ensureTopics(): Promise<void> {
    const admin = this.o.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = [this.o.topic, this.o.dlqTopic].filter((t) => !existing.has(t));
      if (missing.length) {
        await admin.createTopics({
          topics: missing.map((topic) => ({ topic, numPartitions: this.o.partitions ?? 3, replicationFactor: 1 })),
          waitForLeaders: true,
        });
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** After a rebuild's switch, every assigned partition resumes from the new schema's checkpoints. */
  private async followSwitch(): Promise<void> {
    const schema = await activeSchema(this.o.db);
    if (schema === this.schema) return;
    this.o.log('info', 'projection switched; resuming from its checkpoints', { from: this.schema, to: schema });
    this.schema = schema;
    this.reposition(this.assignment);
  }

  /**
   * After a rebalance or a switch, every assigned partition resumes at the offset PostgreSQL stored
   * with its records. A failed read of the checkpoints (the database away during a rebalance) is
   * retried with backoff, never left unhandled. Until the seek, kafkajs fetches from its own
   * position, which is harmless: offsets the checkpoint covers are skipped, and a batch past it is a
   * gap that seeks back. (Pausing the partitions meanwhile cost every start and rebalance five
   * seconds: kafkajs sleeps its maxWaitTime when it has nothing to fetch, measured in the bench.)
   */
  private reposition(assignment: number[]): void {
    const generation = ++this.repositions;
    clearTimeout(this.repositionTimer);
    this.assignment = assignment;
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
    const stored = await readCheckpoints(
      (text, params) => this.o.db.query(text, params),
      await activeSchema(this.o.db),
      this.o.groupId,
      this.o.topic,
    );
    if (!current()) return;
    // A partition without a checkpoint (new since the projection was built) starts at its
    // beginning: kafkajs would go on from wherever it was in the previous schema.
    for (const partition of partitions) this.seek(partition, stored.get(partition) ?? 0);
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!batch.messages.length || !isRunning() || isStale()) return;
    // The schema as last seen (start, then the timer): a batch applied to the old one after a
    // rebuild's switch is harmless, since the new schema's checkpoints say where to resume. (A
    // query per fetch sat in kafkajs's fetch loop: with small fetches, hundreds a second.)
    const schema = this.schema as string;
    const { topic, partition } = batch;
    const job = new CoalescedBatch(schema, packMessages(batch.messages, batchSpan(batch)), (fetched) => this.apply(schema, topic, partition, fetched));
    if (!(await this.lanes.take(partition, job, heartbeat, isRunning, () => !isStale()))) return;
    // kafkajs may fetch on from here; where the partition really is, PostgreSQL's checkpoint says.
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  /** A batch of filtered records only: its span alone, so that the checkpoint moves past them. */
  private onFilteredBatch(partition: number, span: OffsetSpan): void {
    const schema = this.schema;
    if (!schema) return;
    const { topic } = this.o;
    this.lanes.append(partition, new CoalescedBatch(schema, packMessages([], span), (fetched) => this.apply(schema, topic, partition, fetched)));
  }

  private async apply(schema: string, topic: string, partition: number, fetched: FetchedBatch): Promise<{ resumeAt: number } | void> {
    const started = process.hrtime.bigint();
    const checkpoint = { consumer: this.o.groupId, topic, partition, ...fetched.span };
    const stats = await this.applier.apply(schema, checkpoint, fetched, (letters) => this.sendDeadLetters(topic, partition, letters));
    if (stats.gap) return resumeAfterGap(this.gaps, schema, partition, stats.gap.storedNextOffset, fetched.span, !fetched.batch.offsets.length);
    this.metrics.applied += stats.applied;
    this.metrics.duplicates += stats.duplicates;
    this.metrics.deadLetters += stats.deadLettered;
    this.metrics.observeBatch(Number(process.hrtime.bigint() - started) / 1e9);
    // Nothing is committed to Kafka: the stored checkpoints are the positions. (A commit per batch
    // also queued behind the fetches on the coordinator's connection: p99 freshness 26 ms -> 3 s.)
  }

  /** Invalid events reach the dead-letter topic before the transaction that moves past them. */
  private async sendDeadLetters(topic: string, partition: number, letters: DeadLetterOut[]): Promise<void> {
    await this.producer.send({
      topic: this.o.dlqTopic,
      acks: -1,
      messages: letters.map(({ key, value, offset, code, reason }) => ({
        key,
        value,
        headers: {
          'x-dlq-reason': reason,
          'x-dlq-code': code,
          'x-source-topic': topic,
          'x-source-partition': String(partition),
          'x-source-offset': offset,
        },
      })),
    });
  }

  /** Messages behind the end of the topic: high watermarks minus the stored next offsets (partitionPositions). */
  async lag(): Promise<{ lag: number; partitions: { partition: number; end: number; next: number }[] }> {
    const positions = await partitionPositions(this.o.kafka, this.o.db, this.o.topic, this.o.groupId);
    const partitions = positions.map(({ partition, end, next }) => ({ partition, end, next }));
    const lag = partitions.reduce((sum, p) => sum + Math.max(0, p.end - p.next), 0);
    this.metrics.lag = lag;
    return { lag, partitions };
  }
}
