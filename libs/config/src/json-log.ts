import type { Config } from './config';

export type LogLevel = Config['logLevel'];
export type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Structured logs of one app: a JSON object per line on stdout, from `min` (LOG_LEVEL) up. */
export function jsonLog(app: string, min: LogLevel): Log {
  return (level, msg, fields = {}) => {
    if (RANK[level] < RANK[min]) return;
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, app, msg, ...fields })}\n`);
  };
}
