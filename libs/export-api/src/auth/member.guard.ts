import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Config } from '@casestats/config';
import { AuditLog } from '../jobs/audit-log';
import { Member, authorize, bearerToken, verifyMemberToken } from './member-token';
import { AUDIT, CONFIG } from '../tokens';

export type MemberRequest = Request & { member: Member };

/** Bearer token → member; the member must hold the download permission for the channel in the path. */
@Injectable()
export class MemberGuard implements CanActivate {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(AUDIT) private readonly audit: AuditLog,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<MemberRequest>();
    const channelId = String(req.params.channelId ?? '');
    let member: Member | null = null;
    try {
      member = await verifyMemberToken(bearerToken(req.headers.authorization), this.config.export.jwtSecret);
      authorize(member, channelId);
      req.member = member;
      return true;
    } catch (err) {
      // A refused export request is audited like any other; reads are not.
      if (req.method === 'POST') await this.audit.refused(member, channelId, req.body, err).catch(() => undefined);
      throw err;
    }
  }
}
