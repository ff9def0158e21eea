import { AppError, Config } from '@casestats/config';
import { migrate, openDatabase } from '@casestats/read-model';
import { startProjector } from '../../../projector/src/projector-app';
import { CliIo } from '../cli-context';

/** `casestats projector`: Kafka → PostgreSQL until SIGTERM/SIGINT, which finishes the batch in hand. */
export async function projectorCommand(_args: string[], config: Config, io: CliIo): Promise<number> {
  if (!config.kafka.brokers.length) throw new AppError('INPUT.INVALID', 'KAFKA_BROKERS is required (e.g. 127.0.0.1:9092; `npm run kafka:start` runs one)');
  const db = await openDatabase(config, { log: io.err });
  try {
    await migrate(db.dataSource);
    const running = await startProjector(config, db.dataSource);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await running.close();
    return 0;
  } finally {
    await db.close();
  }
}
