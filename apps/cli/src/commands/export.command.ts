import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError, Config } from '@casestats/config';
import { activeSchema, countCases } from '@casestats/read-model';
import { assertWithinRowCap, runExport, validateExportRequest } from '@casestats/export';
import { CliIo, withDatabase } from '../cli-context';

const USAGE =
  'casestats export --channel ID --from YYYY-MM-DD --to YYYY-MM-DD --password P --reason TEXT --out FILE.xlsx ' +
  '[--timezone TZ] [--team ID]... [--assignee ID]... [--tag NAME]... [--medium NAME]... ' +
  '[--direction INBOUND|OUTBOUND]... [--case-state inProgress|completed]... [--chat-state STATE]...';

export async function exportCommand(args: string[], config: Config, io: CliIo, now: () => number): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        channel: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        password: { type: 'string' },
        reason: { type: 'string' },
        out: { type: 'string' },
        timezone: { type: 'string' },
        team: { type: 'string', multiple: true },
        assignee: { type: 'string', multiple: true },
        tag: { type: 'string', multiple: true },
        medium: { type: 'string', multiple: true },
        direction: { type: 'string', multiple: true },
        'case-state': { type: 'string', multiple: true },
        'chat-state': { type: 'string', multiple: true },
      },
    }));
  } catch (err) {
    throw new AppError('INPUT.INVALID', `${(err as Error).message}\nusage: ${USAGE}`);
  }
  const missing = (['channel', 'out'] as const).filter((k) => !values[k]);
  if (missing.length) throw new AppError('INPUT.INVALID', `missing ${missing.map((m) => `--${m}`).join(', ')}\nusage: ${USAGE}`);
  const request = validateExportRequest(
    values.channel!,
    {
      from: values.from,
      to: values.to,
      timezone: values.timezone,
      password: values.password,
      reason: values.reason,
      filters: {
        teamIds: values.team,
        assigneeIds: values.assignee,
        tags: values.tag,
        mediumNames: values.medium,
        directions: values.direction,
        caseStates: values['case-state'],
        userChatStates: values['chat-state'],
      },
    },
    config.export,
  );
  const out = resolve(values.out!);
  return withDatabase(config, io, async ({ dataSource }) => {
    const schema = await activeSchema(dataSource);
    // Refused before any work starts; the pipeline checks again inside its snapshot.
    assertWithinRowCap(await countCases(dataSource, schema, request.selection), config.export.maxRows);
    // Ctrl-C or SIGTERM stops the export where it stands, and runExport removes its partial file
    // (Node's default, exiting at once, left it behind).
    const stop = new AbortController();
    const interrupt = (signal: NodeJS.Signals) => stop.abort(new Error(`interrupted by ${signal}; no file was written`));
    process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
    const result = await runExport({
      db: dataSource,
      schema,
      request,
      outPath: out,
      maxRows: config.export.maxRows,
      caseUrlTemplate: config.export.caseUrlTemplate,
      exportedBy: { id: 'cli' },
      asOf: new Date(now()),
      signal: stop.signal,
    }).finally(() => process.off('SIGINT', interrupt).off('SIGTERM', interrupt));
    io.out(`wrote ${result.path}: ${result.caseRows} case rows, ${result.userRows} user rows, ${result.bytes} bytes, sha256 ${result.sha256}`);
    return 0;
  });
}
