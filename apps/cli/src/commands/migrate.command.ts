import { Config } from '@casestats/config';
import { migrate, openDatabase } from '@casestats/read-model';
import { CliIo } from '../cli-context';

export async function migrateCommand(_opts: object, config: Config, io: CliIo): Promise<number> {
  const db = await openDatabase(config, { log: io.err });
  try {
    const ran = await migrate(db.dataSource);
    io.out(ran.length ? `applied migrations: ${ran.join(', ')}` : 'database schema is up to date');
    return 0;
  } finally {
    await db.close();
  }
}
