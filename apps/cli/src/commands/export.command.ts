import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AppError, Config, exitCodeOf } from '@casestats/config';
import { activeSchema, countCases } from '@casestats/read-model';
import { ExportLanguage, assertWithinRowCap, runExport, validateExportRequest } from '@casestats/export';
import { AuditLog } from '@casestats/export-jobs';
import { CliIo, assertWritableFolder, withDatabase } from '../cli-context';

export interface ExportOptions {
  channel: string;
  out: string;
  from?: string;
  to?: string;
  reason?: string;
  password?: string;
  passwordFile?: string;
  timezone?: string;
  team?: string[];
  assignee?: string[];
  tag?: string[];
  medium?: string[];
  direction?: string[];
  caseState?: string[];
  chatState?: string[];
  language: ExportLanguage;
}

/** --password, else --password-file, else CASESTATS_EXPORT_PASSWORD, else a prompt on a terminal; none: the rules say it is required. */
async function password(opts: ExportOptions, config: Config, io: CliIo): Promise<string | undefined> {
  if (opts.password !== undefined) return opts.password;
  if (opts.passwordFile !== undefined) {
    try {
      return readFileSync(opts.passwordFile, 'utf8').split(/\r?\n/)[0];
    } catch (err) {
      throw new AppError('INPUT.INVALID', `--password-file: cannot read ${opts.passwordFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (config.export.cliPassword) return config.export.cliPassword;
  return io.askSecret?.('password for the file (4 to 64 letters and digits): ');
}

/**
 * A channel id as the events carry them, as the export API's guard checks it: 1-128 characters,
 * no control character (PostgreSQL refuses NUL), no lone surrogate.
 */
const CHANNEL_ID = /^[^\p{Cc}\p{Cs}]{1,128}$/u;

/**
 * A refused request in the channel's audit log. The refusal is the outcome that matters (exit 2):
 * a database that cannot take its line is said, not turned into a failure of another kind.
 */
async function recordRefusal(config: Config, io: CliIo, who: NonNullable<Parameters<AuditLog['refused']>[0]>, channelId: string, audited: Record<string, unknown>, err: unknown): Promise<void> {
  try {
    await withDatabase(config, io, ({ dataSource }) => new AuditLog(dataSource).refused(who, channelId, audited, err));
  } catch (auditErr) {
    io.err(`casestats export: the refusal could not be recorded in the audit log: ${auditErr instanceof Error ? auditErr.message : String(auditErr)}`);
  }
}

export async function exportCommand(opts: ExportOptions, config: Config, io: CliIo, now: () => number): Promise<number> {
  const body = {
    from: opts.from,
    to: opts.to,
    timezone: opts.timezone,
    reason: opts.reason,
    filters: {
      teamIds: opts.team,
      assigneeIds: opts.assignee,
      tags: opts.tag,
      mediumNames: opts.medium,
      directions: opts.direction,
      caseStates: opts.caseState,
      userChatStates: opts.chatState,
    },
  };
  // In the channel's audit log like an API export: who is `cli` and the user of this machine.
  const who = { id: 'cli', name: userInfo().username, channelId: opts.channel, permissions: [] };
  const audited = { ...body, filters: Object.fromEntries(Object.entries(body.filters).filter(([, v]) => v?.length)) };
  if (!CHANNEL_ID.test(opts.channel)) {
    // Not audited: there is no channel whose log it could go into.
    throw new AppError('INPUT.INVALID', '--channel: the channel id must be 1 to 128 characters of well-formed text without control characters');
  }
  let request: ReturnType<typeof validateExportRequest>;
  try {
    request = validateExportRequest(opts.channel, { ...body, password: await password(opts, config, io) }, config.export);
  } catch (err) {
    // Refused like an API request, and audited like one: the database opens for the audit line only.
    if (exitCodeOf(err) === 2) await recordRefusal(config, io, who, opts.channel, audited, err);
    throw err;
  }
  const out = resolve(opts.out);
  assertWritableFolder(out);
  return withDatabase(config, io, async ({ dataSource }) => {
    const audit = new AuditLog(dataSource);
    const schema = await activeSchema(dataSource);
    const count = await countCases(dataSource, schema, request.selection);
    try {
      // Refused before any work starts; the pipeline checks again inside its snapshot.
      assertWithinRowCap(count, config.export.maxRows);
    } catch (err) {
      await audit.refused(who, opts.channel, audited, err);
      throw err;
    }
    const runId = randomUUID();
    await audit.accepted(who, opts.channel, audited, runId, count);
    if (count === 0) {
      // Still written (an empty export is a legitimate answer), but never silently: a future or
      // mistyped range, or a filter matching nothing, looked like a successful export.
      const filtered = Object.keys(audited.filters).length ? ' with these filters' : '';
      io.err(`casestats export: warning: the range ${request.from} to ${request.to} holds no case of channel ${opts.channel}${filtered}; the file has its headers only`);
    }
    // Ctrl-C or SIGTERM stops the export where it stands, and runExport removes its partial file
    // (Node's default, exiting at once, left it behind).
    const stop = new AbortController();
    const interrupt = (signal: NodeJS.Signals) => stop.abort(new Error(`interrupted by ${signal}; no file was written`));
    process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
    try {
      const result = await runExport({
        db: dataSource,
        schema,
        request,
        outPath: out,
        maxRows: config.export.maxRows,
        caseUrlTemplate: config.export.caseUrlTemplate,
        exportedBy: { id: who.id, name: who.name },
        asOf: new Date(now()),
        signal: stop.signal,
        language: opts.language,
      });
      await audit.finished(runId, 'succeeded', { rowCount: result.caseRows, bytes: result.bytes, sha256: result.sha256 });
      io.out(`wrote ${result.path}: ${result.caseRows} case rows, ${result.userRows} user rows, ${result.bytes} bytes, sha256 ${result.sha256}`);
      return 0;
    } catch (err) {
      await audit.finished(runId, 'failed', { message: err instanceof Error ? err.message : String(err) }).catch(() => undefined);
      throw err;
    } finally {
      process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
    }
  });
}
