export * from './kafka-projector';
export * from './kafka-client';
export * from './projector-metrics';
export * from './rebuild';
export { coveredHorizon, topicAppliedHorizon } from './topic-positions';
export { SESSION_TIMEOUT_MS, type PartitionFailure } from './partition-pipeline';
