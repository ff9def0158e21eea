export * from './fixtures';
export * from './pg';
export * from './xlsx-read';
export * from './cli';
export * from './kafka-broker';
export * from './export-server';
export * from './projection-compare';
