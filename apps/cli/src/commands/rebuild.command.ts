import { AppError, Config } from '@casestats/config';
import { createKafka, rebuildProjection } from '@casestats/source-kafka';
import { migrate, openDatabase } from '@casestats/read-model';
import { CliIo } from '../cli-context';

/** `casestats rebuild`: replay the topic into a fresh projection version, then switch to it. */
export async function rebuildCommand(_opts: object, config: Config, io: CliIo): Promise<number> {
  if (!config.kafka.brokers.length) throw new AppError('INPUT.INVALID', 'KAFKA_BROKERS is required');
  const db = await openDatabase(config, { log: io.err });
  try {
    await migrate(db.dataSource);
    const result = await rebuildProjection({
      kafka: createKafka(config.kafka.brokers, `${config.kafka.clientId}-rebuild`),
      db: db.dataSource,
      topic: config.kafka.topic,
      groupId: config.kafka.groupId,
      applyThreads: config.projector.applyThreads,
      log: (level, msg, fields) => io.err(JSON.stringify({ level, msg, ...fields })),
    });
    io.out(`rebuilt ${result.schema} from ${config.kafka.topic} (${result.events} events applied) and switched from ${result.previous}`);
    return 0;
  } finally {
    await db.close();
  }
}
