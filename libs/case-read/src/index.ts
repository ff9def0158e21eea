/**
 * The export's read path, without TypeORM: which cases (the selection), the snapshot that reads
 * them and their users. The export's case-sheet worker threads load only this (and the read
 * model re-exports it for everyone else).
 */
export * from './case-selection';
export * from './case-snapshot';
export * from './projection-sql';
