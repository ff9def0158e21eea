export * from './kafka-projector';
export * from './kafka-client';
export * from './projector-metrics';
export * from './rebuild';
export { topicAppliedHorizon } from './topic-positions';
