export * from './app-error';
export * from './config';
