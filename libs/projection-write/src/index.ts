/**
 * The projection's write path, without TypeORM: the projector's apply threads load only this
 * (the read model's index loads TypeORM's entities and migrations, 0.6 s of each thread's start).
 */
export * from './apply-batch';
export * from './checkpoint.repository';
export * from './dead-letter.repository';
export { APPLY_STATEMENT_TIMEOUT_MS, createApplyPool } from './apply-pool';
export { assertSchemaName } from './schema-name';
export { FEED_CHUNK, loggedCaseWrite } from './case-change-log';
export { loadDueChatStates, saveChatStates } from './chat-state.repository';
export { upsertCaseRecords } from './case-record.repository';
