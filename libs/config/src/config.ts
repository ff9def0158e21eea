import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppError, FieldProblem } from './app-error';

export interface Config {
  /** null: use the embedded PostgreSQL under `embeddedPg.dataDir`. */
  databaseUrl: string | null;
  embeddedPg: { dataDir: string; port: number };
  dataDir: string;
  kafka: { brokers: string[]; topic: string; dlqTopic: string; groupId: string; clientId: string };
  /** applyThreads: worker threads that parse and apply partition batches (each with its own connections). */
  projector: { port: number; sweepIntervalMs: number; sweepGraceMs: number; applyThreads: number };
  export: {
    port: number;
    host: string;
    /** How often expired files, stale jobs and orphaned partial files are looked for. */
    maintenanceIntervalMs: number;
    jwtSecret: string;
    /** Whether jwtSecret came from EXPORT_JWT_SECRET, rather than drawn for this process alone. */
    jwtSecretSet: boolean;
    fileDir: string;
    fileTtlMs: number;
    maxRows: number;
    statsStartDate: string;
    defaultTimezone: string;
    caseUrlTemplate: string;
    workerConcurrency: number;
    /**
     * Jobs of one channel running at once on an instance: below workerConcurrency, so that one
     * channel's queue cannot hold every worker while another channel's job waits.
     */
    maxRunningPerChannel: number;
    /** A running job whose heartbeat is older than this is taken over or failed. */
    staleJobMs: number;
    /** Requests a client address may make to /api a minute, before any token is read. */
    rateLimitPerAddress: number;
    /** Export requests (accepted or refused) a member may make a minute. */
    rateLimitPerMember: number;
    /** Queued and running jobs at once, per channel and per member; more are refused with 429. */
    maxJobsPerChannel: number;
    maxJobsPerMember: number;
    /** The kept files, with those being written, may take this much disk; past it requests are refused and queued jobs fail at their start. */
    maxDiskBytes: number;
    /** How long a job's outcome write is retried while the database is away. */
    outcomeRetryMs: number;
    /** A request's headers and body must arrive within this; a stalled one is closed. */
    requestTimeoutMs: number;
    /** CASESTATS_EXPORT_PASSWORD: the file password of `casestats export` when no option gives one. A secret: never logged. */
    cliPassword?: string;
  };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

type Env = Record<string, string | undefined>;

/** Apply threads of a projector or a rebuild when nothing says otherwise (`PROJECTOR_APPLY_THREADS`). */
export const DEFAULT_APPLY_THREADS = 2;

/** The only reader of the environment: everything else gets this object. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const problems: FieldProblem[] = [];
  const str = (key: string, fallback: string) => {
    const v = env[key];
    return v === undefined || v === '' ? fallback : v;
  };
  const int = (key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push({ field: key, message: `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}` });
      return fallback;
    }
    return n;
  };
  const dataDir = resolve(cwd, str('CASESTATS_DATA_DIR', '.data'));
  const topic = str('KAFKA_TOPIC', 'user-chat-events');
  const logLevel = str('LOG_LEVEL', 'info');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push({ field: 'LOG_LEVEL', message: 'must be one of debug, info, warn, error' });
  }
  const statsStartDate = str('CASESTATS_START_DATE', '2025-06-26');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(statsStartDate)) {
    problems.push({ field: 'CASESTATS_START_DATE', message: 'must be a date YYYY-MM-DD' });
  }
  const defaultTimezone = str('CASESTATS_TIMEZONE', 'Asia/Seoul');
  try {
    new Intl.DateTimeFormat('en', { timeZone: defaultTimezone });
  } catch {
    problems.push({ field: 'CASESTATS_TIMEZONE', message: `unknown IANA time zone ${JSON.stringify(defaultTimezone)}` });
  }
  // No default in the source: any server started without the variable would accept tokens
  // anyone can sign. Unset, each process draws a secret of its own, which serves `casestats start`
  // (it signs its page's link itself); `serve` and `token` refuse to run on one (requireJwtSecret).
  const givenSecret = str('EXPORT_JWT_SECRET', '');
  const jwtSecretSet = givenSecret !== '';
  const jwtSecret = jwtSecretSet ? givenSecret : randomBytes(32).toString('base64url');
  if (jwtSecret.length < 16) problems.push({ field: 'EXPORT_JWT_SECRET', message: 'must be at least 16 characters' });
  const databaseUrl = env.DATABASE_URL ? env.DATABASE_URL : null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push({ field: 'DATABASE_URL', message: 'must be a postgres:// or postgresql:// URL' });
  }

  const workerConcurrency = int('EXPORT_WORKERS', 1, 1, 16);
  const config: Config = {
    databaseUrl,
    embeddedPg: { dataDir: resolve(dataDir, 'pg'), port: int('EMBEDDED_PG_PORT', 54329, 1, 65535) },
    dataDir,
    kafka: {
      brokers: str('KAFKA_BROKERS', '')
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      topic,
      dlqTopic: `${topic}.dlq`,
      groupId: str('KAFKA_GROUP_ID', 'casestats-projector'),
      clientId: str('KAFKA_CLIENT_ID', 'casestats'),
    },
    projector: {
      port: int('PROJECTOR_PORT', 3001, 0, 65535),
      sweepIntervalMs: int('SWEEP_INTERVAL_MS', 30_000, 100),
      sweepGraceMs: int('SWEEP_GRACE_MS', 120_000, 0),
      applyThreads: int('PROJECTOR_APPLY_THREADS', DEFAULT_APPLY_THREADS, 1, 16),
    },
    export: {
      port: int('EXPORT_PORT', 3000, 0, 65535),
      host: str('EXPORT_HOST', '127.0.0.1'),
      maintenanceIntervalMs: int('EXPORT_MAINTENANCE_INTERVAL_MS', 30_000, 100),
      jwtSecret,
      jwtSecretSet,
      fileDir: resolve(dataDir, 'exports'),
      fileTtlMs: int('EXPORT_FILE_TTL_SECONDS', 86_400, 1) * 1000,
      maxRows: int('EXPORT_MAX_ROWS', 1_000_000, 1, 1_048_575),
      statsStartDate,
      defaultTimezone,
      caseUrlTemplate: str('CASE_URL_TEMPLATE', 'https://desk.channel.io/#/channels/{channelId}/user_chats/{userChatId}'),
      workerConcurrency,
      maxRunningPerChannel: int('EXPORT_MAX_RUNNING_PER_CHANNEL', Math.max(1, workerConcurrency - 1), 1, 16),
      staleJobMs: int('EXPORT_STALE_JOB_MS', 60_000, 1000),
      rateLimitPerAddress: int('EXPORT_RATE_LIMIT_PER_ADDRESS', 1200, 1),
      rateLimitPerMember: int('EXPORT_RATE_LIMIT_PER_MEMBER', 60, 1),
      maxJobsPerChannel: int('EXPORT_MAX_JOBS_PER_CHANNEL', 20, 1),
      maxJobsPerMember: int('EXPORT_MAX_JOBS_PER_MEMBER', 5, 1),
      maxDiskBytes: int('EXPORT_MAX_DISK_MB', 10_240, 1) * 1024 * 1024,
      outcomeRetryMs: int('EXPORT_OUTCOME_RETRY_MS', 300_000, 1000),
      requestTimeoutMs: int('EXPORT_REQUEST_TIMEOUT_MS', 10_000, 1000),
      cliPassword: env.CASESTATS_EXPORT_PASSWORD || undefined,
    },
    logLevel: logLevel as Config['logLevel'],
  };
  if (problems.length) {
    throw new AppError(
      'CONFIG.INVALID',
      `invalid configuration: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      problems,
    );
  }
  return config;
}

/** For what must share the secret with other processes (the export server, `casestats token`). */
export function requireJwtSecret(config: Config, what: string): void {
  if (!config.export.jwtSecretSet) {
    throw new AppError(
      'CONFIG.INVALID',
      `EXPORT_JWT_SECRET is not set: ${what} needs the secret its tokens are signed with (at least 16 characters; casestats start draws one of its own)`,
      [{ field: 'EXPORT_JWT_SECRET', message: 'is required' }],
    );
  }
}
