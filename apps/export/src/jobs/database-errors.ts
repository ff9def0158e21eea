import { AppError } from '@casestats/config';

/** Node's socket errors and PostgreSQL's connection classes: the database is away, not the request wrong. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '55000']);
const MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not currently accepting connections|does not allow connections|the database system is (starting up|shutting down)|terminating connection|Connection ended|not queryable/i;

/** Whether `err` says the database cannot be reached (a blip, an outage), rather than a statement failed. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof AppError || typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (SOCKET_CODES.has(code) || code.startsWith('08') || SQLSTATES.has(code)) return true;
  if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  return e.driverError !== undefined && e.driverError !== err && isDatabaseUnavailable(e.driverError);
}

export function databaseUnavailable(): AppError {
  return new AppError('DATABASE.UNAVAILABLE', 'the database is unavailable: try again shortly');
}
