export * from './event.types';
export * from './event.error';
export { parseEvent, type ParseResult } from './event.parse';
export { parseInstant } from './field.read';
export * from './civil-date';
