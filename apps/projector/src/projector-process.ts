import { AppError, Config } from '@casestats/config';
import { migrate, openDatabase } from '@casestats/read-model';
import { startProjector } from './projector-app';

/** The projector process: Kafka → PostgreSQL until SIGTERM/SIGINT, which finishes the batch in hand. */
export async function runProjectorProcess(config: Config, log: (line: string) => void): Promise<void> {
  if (!config.kafka.brokers.length) throw new AppError('INPUT.INVALID', 'KAFKA_BROKERS is required (e.g. 127.0.0.1:9092; `npm run kafka:start` runs one)');
  const db = await openDatabase(config, { log });
  try {
    await migrate(db.dataSource);
    const running = await startProjector(config, db.dataSource);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await running.close();
  } finally {
    await db.close();
  }
}
