import { AppError, Config, requireJwtSecret } from '@casestats/config';
import { DOWNLOAD_PERMISSION, PERMISSIONS, signMemberToken } from '@casestats/export-app';
import { CliIo } from '../cli-context';

export interface TokenOptions {
  channel: string;
  member: string;
  name?: string;
  permission?: string[];
  expiresIn: string;
}

/** `casestats token`: a bearer token signed with EXPORT_JWT_SECRET, for operators and local use. */
export async function tokenCommand(opts: TokenOptions, config: Config, io: CliIo, now: () => number): Promise<number> {
  // A misspelt permission grants nothing: the token would be refused with 403 long after it was handed out.
  const unknown = (opts.permission ?? []).filter((p) => !PERMISSIONS.includes(p));
  if (unknown.length) {
    throw new AppError('INPUT.INVALID', `--permission: unknown ${unknown.map((p) => JSON.stringify(p)).join(', ')}; the permissions are ${PERMISSIONS.join(', ')}`);
  }
  requireJwtSecret(config, 'a token for the export server');
  io.out(
    await signMemberToken(
      {
        memberId: opts.member,
        name: opts.name,
        channelId: opts.channel,
        permissions: opts.permission?.length ? opts.permission : [DOWNLOAD_PERMISSION],
        expiresIn: opts.expiresIn,
      },
      config.export.jwtSecret,
      Math.floor(now() / 1000),
    ),
  );
  return 0;
}
