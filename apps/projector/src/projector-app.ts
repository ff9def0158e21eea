import 'reflect-metadata';
import { Controller, DynamicModule, Get, Header, INestApplication, Inject, Module, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Config, jsonLog } from '@casestats/config';
import { KafkaProjector, type KafkaProjectorOptions, Log, coveredHorizon, createKafka } from '@casestats/source-kafka';
import { activeSchema, startSweeper } from '@casestats/read-model';

const PROJECTOR = Symbol('PROJECTOR');
const DATA_SOURCE = Symbol('DATA_SOURCE');

@Controller()
class OperationsController {
  constructor(
    @Inject(PROJECTOR) private readonly projector: KafkaProjector,
    @Inject(DATA_SOURCE) private readonly db: DataSource,
  ) {}

  @Get('health')
  async health(@Res() res: Response) {
    // Only `ok` answers 200: a member still waiting for its partitions, or one whose partition keeps failing, is not serving.
    const { status, failing } = this.projector.health();
    try {
      const [{ lag, partitions }, schema] = await Promise.all([this.projector.lag(), activeSchema(this.db)]);
      res.status(status === 'ok' ? 200 : 503).json({ status, lag, partitions, schema, ...(failing.length && { failing }) });
    } catch (err) {
      res.status(503).json({ status: 'degraded', reason: (err as Error).message, ...(failing.length && { failing }) });
    }
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics() {
    return this.projector.metrics.prometheus();
  }
}

@Module({})
class ProjectorModule {
  static register(projector: KafkaProjector, db: DataSource): DynamicModule {
    return {
      module: ProjectorModule,
      controllers: [OperationsController],
      providers: [
        { provide: PROJECTOR, useValue: projector },
        { provide: DATA_SOURCE, useValue: db },
      ],
    };
  }
}

export interface RunningProjector {
  url: string;
  projector: KafkaProjector;
  /** One sweep now, as the timer runs it (errors are reported through the log). */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

/** The Kafka projector as the config describes it (startProjector's, and the bench's). */
export function projectorOptions(config: Config, db: DataSource, log: Log): KafkaProjectorOptions {
  return {
    kafka: createKafka(config.kafka.brokers, config.kafka.clientId),
    db,
    topic: config.kafka.topic,
    dlqTopic: config.kafka.dlqTopic,
    groupId: config.kafka.groupId,
    log,
    applyThreads: config.projector.applyThreads,
  };
}

/** Consumer, sweeper and the health/metrics endpoints; Nest is the wiring and the lifecycle. */
export async function startProjector(config: Config, db: DataSource, log: Log = jsonLog('projector', config.logLevel), port = config.projector.port): Promise<RunningProjector> {
  const projector = new KafkaProjector(projectorOptions(config, db, log));
  // Nest starts on this thread while the projector's apply threads load on theirs.
  const starting = projector.start();
  starting.catch(() => undefined); // awaited below
  let app: INestApplication | undefined;
  try {
    app = await NestFactory.create(ProjectorModule.register(projector, db), { logger: ['error', 'warn'] });
    await app.listen(port, config.export.host);
    await starting;
  } catch (err) {
    await app?.close().catch(() => undefined);
    await starting.then(() => projector.stop(), () => projector.stop()).catch(() => undefined);
    throw err;
  }
  const server = app;
  // The wall clock is read here, in the shell: the projection only ever sees "now" as an argument.
  const kafka = createKafka(config.kafka.brokers, `${config.kafka.clientId}-sweeper`);
  const sweeper = startSweeper(
    db,
    {
      intervalMs: config.projector.sweepIntervalMs,
      graceMs: config.projector.sweepGraceMs,
      horizon: coveredHorizon(kafka, db, config.kafka.topic, config.kafka.groupId, Date.now),
    },
    Date.now,
    (completed, error) => {
      if (error) log('warn', 'sweep failed; will try again', { error: error.message });
      else if (completed) log('info', 'cases completed by time', { completed });
    },
  );
  const address = server.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  log('info', 'projector listening', { url });
  return {
    url,
    projector,
    sweep: () => sweeper.sweep(),
    async close() {
      sweeper.stop();
      await projector.stop();
      await server.close();
    },
  };
}
