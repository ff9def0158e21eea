import { Kafka, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { activeSchema, dataSourceUrl } from '@casestats/read-model';
import type { Log } from '@casestats/config';
import { BatchAppliers, type DeadLetterOut } from '@casestats/source-apply';
import { ProjectorMetrics } from './projector-metrics';
import { PartitionFailure, PartitionPipeline } from './partition-pipeline';
import { partitionPositions } from './topic-positions';

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
  /** false only in the bench's control of the feed's cost: the projector writes without the change log. */
  changeLog?: boolean;
}

/**
 * What /health says: `ok`; `rejoining` while the group has not given this member its partitions
 * (at the start, in a rebalance, after a crash the consumer restarts from); `degraded` while a
 * partition's batches keep failing (each one named, since when, with its last error) or the
 * consumer has stopped for good.
 */
export interface ProjectorHealth {
  status: 'ok' | 'rejoining' | 'degraded';
  failing: PartitionFailure[];
}

/**
 * Kafka → the one projection path, live: the partition pipeline (partition-pipeline.ts) on the
 * active schema, until stopped. Invalid events go to the dead-letter topic before the transaction
 * that moves past them; a rebuild's switch is followed within a second.
 */
export class KafkaProjector {
  readonly metrics: ProjectorMetrics;
  private readonly producer: Producer;
  private readonly applier: BatchAppliers;
  private readonly pipeline: PartitionPipeline;
  private schemaTimer?: NodeJS.Timeout;
  private lagTimer?: NodeJS.Timeout;
  private schema: string | null = null;

  constructor(private readonly o: KafkaProjectorOptions) {
    this.metrics = o.metrics ?? new ProjectorMetrics();
    this.producer = o.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.applier = new BatchAppliers(o.applyThreads, { databaseUrl: dataSourceUrl(o.db, 'projector'), poolSize: 3, changeLog: o.changeLog });
    this.pipeline = new PartitionPipeline({
      kafka: o.kafka,
      db: o.db,
      topic: o.topic,
      groupId: o.groupId,
      checkpointConsumer: o.groupId,
      log: o.log,
      applier: this.applier,
      // The schema as last seen (start, then the timer): a query per fetch sat in kafkajs's fetch
      // loop, hundreds a second with small fetches.
      target: () => this.schema as string,
      sendDeadLetters: (partition, letters) => this.sendDeadLetters(partition, letters),
      onApplied: (_partition, stats, seconds) => {
        this.metrics.applied += stats.applied;
        this.metrics.duplicates += stats.duplicates;
        this.metrics.deadLetters += stats.deadLettered;
        this.metrics.observeBatch(seconds);
      },
    });
  }

  async start(): Promise<void> {
    // Everything that does not depend on something else runs at once: the apply threads load
    // (0.2-0.6 s) while the topics are checked, the clients connect and the group is joined, and
    // batches fetched meanwhile wait in their lanes (measured: the first batch stored 1.26 -> 0.91 s after the start).
    const appliers = this.applier.ready();
    appliers.catch(() => undefined); // awaited below
    const [, , , schema] = await Promise.all([this.ensureTopics(), this.producer.connect(), this.pipeline.connect(), activeSchema(this.o.db)]);
    this.schema = schema;
    await this.pipeline.start();
    // Apply threads that cannot start still fail the start (the caller then stops the consumer).
    await appliers;
    this.lagTimer = setInterval(() => void this.lag().catch(() => undefined), 5_000);
    // A rebuild's switch is noticed here, within a second, busy or idle.
    this.schemaTimer = setInterval(() => void this.followSwitch().catch(() => undefined), 1_000);
    this.o.log('info', 'projector consuming', { topic: this.o.topic, groupId: this.o.groupId });
  }

  async stop(): Promise<void> {
    clearInterval(this.lagTimer);
    clearInterval(this.schemaTimer);
    // The batches being applied finish (SIGTERM loses nothing); the queued ones come again from the checkpoint.
    await this.pipeline.stop();
    await this.applier.close();
    await this.producer.disconnect();
  }

  health(): ProjectorHealth {
    const { membership, failing } = this.pipeline.status();
    const status = failing.length || membership === 'crashed' ? 'degraded' : membership === 'rejoining' ? 'rejoining' : 'ok';
    return { status, failing };
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
    this.pipeline.reposition();
  }

  /** Invalid events reach the dead-letter topic before the transaction that moves past them. */
  private async sendDeadLetters(partition: number, letters: DeadLetterOut[]): Promise<void> {
    const { topic } = this.o;
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
