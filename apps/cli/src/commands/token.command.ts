import { parseArgs } from 'node:util';
import { AppError, Config, requireJwtSecret } from '@casestats/config';
import { DOWNLOAD_PERMISSION, signMemberToken } from '@casestats/export-api';
import { CliIo } from '../cli-context';

/** `casestats token`: a bearer token signed with EXPORT_JWT_SECRET, for operators and local use. */
export async function tokenCommand(args: string[], config: Config, io: CliIo, now: () => number): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      channel: { type: 'string' },
      member: { type: 'string' },
      name: { type: 'string' },
      permission: { type: 'string', multiple: true },
      'expires-in': { type: 'string', default: '8h' },
    },
  });
  if (!values.channel || !values.member) throw new AppError('INPUT.INVALID', 'usage: casestats token --channel ID --member ID [--name N] [--permission P]... [--expires-in 8h]');
  requireJwtSecret(config, 'a token for the export server');
  io.out(
    await signMemberToken(
      {
        memberId: values.member,
        name: values.name,
        channelId: values.channel,
        permissions: values.permission?.length ? values.permission : [DOWNLOAD_PERMISSION],
        expiresIn: values['expires-in'] as string,
      },
      config.export.jwtSecret,
      Math.floor(now() / 1000),
    ),
  );
  return 0;
}
