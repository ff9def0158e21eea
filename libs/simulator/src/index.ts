export * from './simulate';
export * from './wire-event';
export { Random } from './random';
