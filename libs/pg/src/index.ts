export * from './embedded-postgres';
export * from './sql';
