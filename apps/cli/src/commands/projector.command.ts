import { Config } from '@casestats/config';
import { runProjectorProcess } from '@casestats/projector-app';
import { CliIo } from '../cli-context';

/** `casestats projector`: Kafka → PostgreSQL (KAFKA_BROKERS, KAFKA_TOPIC, KAFKA_GROUP_ID, DATABASE_URL). */
export async function projectorCommand(_opts: object, config: Config, io: CliIo): Promise<number> {
  await runProjectorProcess(config, io.err);
  return 0;
}
