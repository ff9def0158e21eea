/**
 * Every failure the product reports on purpose carries a code; the HTTP layer and the CLI map
 * codes to statuses and exit codes in one place each (see `errorStatus`).
 */
export type ErrorCode =
  | 'CONFIG.INVALID'
  | 'EXPORT.INVALID_REQUEST'
  | 'EXPORT.TOO_EARLY'
  | 'EXPORT.RANGE_REVERSED'
  | 'EXPORT.RANGE_TOO_LONG'
  | 'EXPORT.BAD_PASSWORD'
  | 'EXPORT.BAD_REASON'
  | 'EXPORT.TOO_MANY_ROWS'
  | 'EXPORT.NOT_FOUND'
  | 'EXPORT.NOT_READY'
  | 'EXPORT.EXPIRED'
  | 'AUTH.UNAUTHENTICATED'
  | 'AUTH.FORBIDDEN'
  | 'INPUT.INVALID'
  | 'INPUT.NOT_FOUND'
  | 'INPUT.TOO_LARGE'
  | 'INPUT.UNSUPPORTED_MEDIA_TYPE'
  | 'INPUT.RATE_LIMITED'
  | 'EXPORT.TOO_MANY_JOBS'
  | 'EXPORT.STORAGE_FULL'
  | 'DATABASE.UNAVAILABLE'
  | 'STATS.LOADING'
  | 'INTERNAL';

export interface FieldProblem {
  field: string;
  message: string;
  code?: ErrorCode;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly problems: FieldProblem[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  'CONFIG.INVALID': 500,
  'EXPORT.INVALID_REQUEST': 400,
  'EXPORT.TOO_EARLY': 400,
  'EXPORT.RANGE_REVERSED': 400,
  'EXPORT.RANGE_TOO_LONG': 400,
  'EXPORT.BAD_PASSWORD': 400,
  'EXPORT.BAD_REASON': 400,
  'EXPORT.TOO_MANY_ROWS': 400,
  'EXPORT.NOT_FOUND': 404,
  'EXPORT.NOT_READY': 409,
  'EXPORT.EXPIRED': 410,
  'AUTH.UNAUTHENTICATED': 401,
  'AUTH.FORBIDDEN': 403,
  'INPUT.INVALID': 400,
  'INPUT.NOT_FOUND': 404,
  'INPUT.TOO_LARGE': 413,
  'INPUT.UNSUPPORTED_MEDIA_TYPE': 415,
  'INPUT.RATE_LIMITED': 429,
  'EXPORT.TOO_MANY_JOBS': 429,
  'EXPORT.STORAGE_FULL': 507,
  'DATABASE.UNAVAILABLE': 503,
  // The dashboard's figures of a channel are still being loaded into memory: try again shortly.
  'STATS.LOADING': 503,
  INTERNAL: 500,
};

export function httpStatusOf(err: unknown): number {
  return err instanceof AppError ? HTTP_STATUS[err.code] : 500;
}

/**
 * CLI and processes: 2 for invalid input (the message says what is wrong), 1 for any other
 * failure. A missing or invalid setting (CONFIG.INVALID: no EXPORT_JWT_SECRET, a bad EXPORT_PORT)
 * is invalid input too, as a missing KAFKA_BROKERS always was: running again cannot help, fixing
 * the setting does. (Over HTTP it stays a 500: the caller of the API did nothing wrong.)
 */
export function exitCodeOf(err: unknown): number {
  return err instanceof AppError && (HTTP_STATUS[err.code] === 400 || err.code === 'CONFIG.INVALID') ? 2 : 1;
}
