export * from './summary';
export * from './buckets';
export * from './case-stats.table';
export * from './case-stats.query';
export * from './case-stats.memo';
export * from './case-filters';
