import { DataSource, MigrationInterface } from 'typeorm';
import { Config } from '@casestats/config';
import { startEmbeddedPostgres } from '@casestats/pg';

/** Where the embedded server's data really is (as root, maybe under /var/lib/casestats): tests clean it up. */
export { embeddedDataDir } from '@casestats/pg';
import { DeadLetterEntity } from './entities/dead-letter.entity';
import { ProjectionRegistryEntity } from './entities/projection-registry.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { ExportJobs1764000100000 } from './migrations/1764000100000-export-jobs';
import { EventIdsInState1764000200000 } from './migrations/1764000200000-event-ids-in-state';
import { CustomProfileIndex1764000300000 } from './migrations/1764000300000-custom-profile-index';
import { ChatStateJson1764000400000 } from './migrations/1764000400000-chat-state-json';
import { HotUpdates1764000500000 } from './migrations/1764000500000-hot-updates';
import { AppliedUntil1764000600000 } from './migrations/1764000600000-applied-until';
import { CaseChangeLog1764000790000 } from './migrations/1764000790000-case-change-log';
import { NaturalOrder1764000810000 } from './migrations/1764000810000-natural-order';
import { ExportJobEntity } from './entities/export-job.entity';
import { ExportAuditEntity } from './entities/export-audit.entity';

export type EntityList = ConstructorParameters<typeof DataSource>[0]['entities'];

/** Other features (the export jobs) add their tables through these two lists. */
export const readModelEntities = [DeadLetterEntity, ProjectionRegistryEntity, ExportJobEntity, ExportAuditEntity];
export const readModelMigrations: (new () => MigrationInterface)[] = [InitialSchema1764000000000, ExportJobs1764000100000, EventIdsInState1764000200000, CustomProfileIndex1764000300000, ChatStateJson1764000400000, HotUpdates1764000500000, AppliedUntil1764000600000, CaseChangeLog1764000790000, NaturalOrder1764000810000];

export interface Database {
  dataSource: DataSource;
  url: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  entities?: NonNullable<EntityList>;
  migrations?: (new () => MigrationInterface)[];
  poolSize?: number;
  log?: (line: string) => void;
}

/** The URL a DataSource was made from, for a thread or connection that opens connections of its own. */
export function dataSourceUrl(db: DataSource, who: string): string {
  const url = (db.options as { url?: string }).url;
  if (!url) throw new Error(`the ${who} needs a DataSource made from a connection URL (createDataSource)`);
  return url;
}

export function createDataSource(url: string, options: OpenDatabaseOptions = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: [...readModelEntities, ...((options.entities as []) ?? [])],
    migrations: [...readModelMigrations, ...(options.migrations ?? [])],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: options.poolSize ?? 10, application_name: 'casestats' },
  });
}

/** DATABASE_URL when set, else the embedded server (started, or shared with the process that runs it). */
export async function openDatabase(config: Config, options: OpenDatabaseOptions = {}): Promise<Database> {
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres(config.embeddedPg.dataDir, config.embeddedPg.port, options.log);
  const url = config.databaseUrl ?? embedded!.url;
  const dataSource = createDataSource(url, options);
  try {
    await dataSource.initialize();
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  return {
    dataSource,
    url,
    async close() {
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

const MIGRATION_LOCK = 7_346_001;

/** Serialised by an advisory lock, so that instances starting together do not race on the schema. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
