import { Config } from '@casestats/config';
import { activeSchema, migrate, openDatabase, startSweeper } from '@casestats/read-model';
import { signMemberToken, startExportServer } from '@casestats/export-app';
import { createKafka } from '@casestats/source-kafka';
import { startProjector } from '@casestats/projector-app';
import { CliIo } from '../cli-context';
import { runSimulatorFeed } from '../quickstart/simulator-feed';
import { runKafkaSimulatorFeed } from '../quickstart/kafka-feed';

export interface StartOptions {
  chats: number;
  seed: number;
  backfill: number;
  rate: number;
}

/**
 * `npm start`: the whole product on one machine with nothing installed. Embedded PostgreSQL (or
 * DATABASE_URL), migrations, the simulator played through the projection path, the sweeper, and
 * the export app with a demo sign-in. Ctrl-C stops it all; the next start continues.
 */
export async function startCommand(opts: StartOptions, config: Config, io: CliIo, now: () => number): Promise<number> {
  const stop = new AbortController();
  let stopAsked = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      stopAsked = Date.now();
      io.err(`\n${signal}: stopping in order (press Ctrl-C again to stop at once)`);
      stop.abort();
      return;
    }
    // npm forwards the terminal's Ctrl-C, so one press arrives twice: only a later one forces.
    if (Date.now() - stopAsked < 1000) return;
    io.err('stopping at once: exports still running are failed as interrupted by the next start');
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopping = async (what: string, work: () => Promise<unknown>) => {
    io.err(`stopping: ${what}…`);
    await work();
  };

  io.err(config.databaseUrl ? 'using DATABASE_URL' : `starting the embedded PostgreSQL (${config.embeddedPg.dataDir})…`);
  const db = await openDatabase(config, { log: io.err });
  try {
    await migrate(db.dataSource);
    const schema = await activeSchema(db.dataSource);
    const sweeper = startSweeper(
      db.dataSource,
      { intervalMs: config.projector.sweepIntervalMs, graceMs: config.projector.sweepGraceMs },
      now,
      (_completed, error) => error && io.err(`sweeper: ${error.message}`),
    );
    // A server that does not start (its port in use) fails the command: nothing started before it may keep the process up.
    const web = await startExportServer(config, db.dataSource).catch((err) => {
      sweeper.stop();
      throw err;
    });
    const demoToken = (channelId: string) =>
      signMemberToken(
        { memberId: 'demo', name: 'Demo 운영자', channelId, permissions: ['caseStats:download'], expiresIn: '7d' },
        config.export.jwtSecret,
        Math.floor(now() / 1000),
      );
    const [token, other] = [await demoToken('ch-1'), await demoToken('ch-2')];
    // `casestats token` signs only with the variable: a secret drawn for this run is no one else's.
    const ownTokens = config.export.jwtSecretSet
      ? '   or sign one: npx casestats token --channel ch-2 --member m-1, with the same EXPORT_JWT_SECRET)'
      : '   to sign your own with npx casestats token, start with EXPORT_JWT_SECRET set)';
    io.out(
      [
        '',
        'casestats is running.',
        `  export page:  ${web.url}/#token=${token}`,
        `  (signed in as the demo member "Demo 운영자" of channel ch-1, with the download permission;`,
        `   channel ch-2: ${web.url}/#token=${other}`,
        ownTokens,
        `  API:          ${web.url}/api/openapi.json`,
        '  Ctrl-C stops everything; the next `npm start` continues where this one stopped.',
        '',
      ].join('\n'),
    );
    let logged = 0;
    const feedOptions = {
      chats: opts.chats,
      seed: opts.seed,
      backfill: opts.backfill,
      eventsPerSecond: opts.rate,
      signal: stop.signal,
      onProgress: (n: number) => {
        if (Math.floor(n / 10_000) > logged) io.err(`simulator: ${n} events ${kafkaMode ? 'published' : 'applied'}`);
        logged = Math.floor(n / 10_000);
      },
    };
    // With a broker, the simulator publishes and the projector consumes: the production path.
    const kafkaMode = config.kafka.brokers.length > 0;
    const projector = kafkaMode
      ? await startProjector(config, db.dataSource).catch(async (err) => {
          sweeper.stop();
          await web.close();
          throw err;
        })
      : null;
    if (projector) {
      sweeper.stop(); // the projector runs its own
      io.err(`projector consuming ${config.kafka.topic} on ${config.kafka.brokers.join(',')}; health on ${projector.url}/health`);
    }
    const feed = (
      kafkaMode
        ? runKafkaSimulatorFeed(createKafka(config.kafka.brokers, `${config.kafka.clientId}-simulator`), config.kafka.topic, feedOptions)
        : runSimulatorFeed(db.dataSource, schema, feedOptions)
    ).then(async (total) => {
      // Stopping (Ctrl-C): the database is about to close; the next start sweeps.
      if (stop.signal.aborted) return;
      // With Kafka the stream is published, not yet applied: the projector's sweep waits for it.
      await (projector ? projector.sweep() : sweeper.sweep());
      io.err(`simulator: the stream of ${total} events is complete; the page stays up (Ctrl-C to stop)`);
    });
    // A failed simulator is said at once; the page stays up with what was applied (it was an
    // unhandled rejection that ended the process without its orderly stop).
    const fed = feed.catch((err) => io.err(`simulator stopped: ${err instanceof Error ? err.message : String(err)}; the page stays up (Ctrl-C to stop)`));
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    // In order, each step said: the database stops last, after the export jobs have written their outcomes.
    sweeper.stop();
    await stopping('the simulator', () => fed);
    await stopping('the export app (running exports are ended and recorded as interrupted)', () => web.close());
    if (projector) await stopping('the projector (the batches in hand finish)', () => projector.close());
    return 0;
  } finally {
    await stopping(config.databaseUrl ? 'closing the database connections' : 'the embedded PostgreSQL', () => db.close());
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    io.err(`casestats has stopped${stopAsked ? ` (${((Date.now() - stopAsked) / 1000).toFixed(1)} s after the signal)` : ''}.`);
  }
}
