export * from './app-error';
export * from './config';
export * from './typescript-worker';
export * from './worker-thread';
export * from './json-log';
