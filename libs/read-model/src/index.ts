export * from './database';
export * from './projection-schema';
export * from './projection-registry';
// The write path (TypeORM-free, for the apply threads) is a library of its own; read here as before.
export * from '@casestats/projection-write';
export * from './sweep';
// The export's read path (TypeORM-free, for the case-sheet threads) likewise: the selection and the snapshot.
export * from '@casestats/case-read';
export * from './case-changes.repository';
export * from './case-feed';
export * from './case-item.sql';
export * from './entities/dead-letter.entity';
export * from './entities/projection-registry.entity';
export * from './entities/export-job.entity';
export * from './entities/export-audit.entity';
export * from './case-list';
export * from './case-stats.cache';
