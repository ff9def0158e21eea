export * from './event.types';
export * from './event.error';
export { parseEvent, type ParseResult } from './event.parse';
export { parseInstant, boundedReason, MAX_REASON_LENGTH } from './field.read';
export * from './civil-date';
