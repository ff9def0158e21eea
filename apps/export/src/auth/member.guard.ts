import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppError, Config, httpStatusOf } from '@casestats/config';
import { AuditLog, auditRefusal } from '@casestats/export-jobs';
import type { Log } from '../jobs/export-worker';
import { RateLimiter } from '../http/rate-limit';
import { AUDIT_PERMISSION, DOWNLOAD_PERMISSION, VIEW_PERMISSION, Member, authorize, bearerToken, verifyMemberToken } from './member-token';
import { AUDIT, CONFIG, LOG, MEMBER_LIMIT } from '../tokens';

export type MemberRequest = Request & { member: Member };

/**
 * A channel id as the events carry them: 1-128 characters, no control character (PostgreSQL
 * refuses NUL) and no lone surrogate (\p{Cs}: jsonb refuses it, and a text column keeps U+FFFD,
 * another channel's id).
 */
const CHANNEL_ID = /^[^\p{Cc}\p{Cs}]{1,128}$/u;

/** Export requests per member, shared by every guard of the app. */
export function memberRateLimit(config: Config): RateLimiter {
  return new RateLimiter(config.export.rateLimitPerMember, 'by this member');
}

/**
 * Bearer token → member; the member must hold one of the guard's permissions for the channel in the path.
 * Nothing is written for a request refused before its token is verified: such refusals are a
 * bounded log line (no body), so that no one without a token can fill a channel's audit log.
 */
@Injectable()
export class MemberGuard implements CanActivate {
  protected readonly permissions: readonly string[] = [DOWNLOAD_PERMISSION];

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(AUDIT) private readonly audit: AuditLog,
    @Inject(LOG) private readonly log: Log,
    @Inject(MEMBER_LIMIT) private readonly memberLimit: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<MemberRequest>();
    const channelId = String(req.params.channelId ?? '');
    if (!CHANNEL_ID.test(channelId)) throw new AppError('INPUT.INVALID', 'the channel id must be 1 to 128 characters of well-formed text without control characters');
    let member: Member;
    try {
      member = await verifyMemberToken(bearerToken(req.headers.authorization), this.config.export.jwtSecret);
    } catch (err) {
      this.refusedUnaudited(req, err);
      throw err;
    }
    const exportRequest = req.method === 'POST';
    if (exportRequest) {
      try {
        this.memberLimit.take(`${member.channelId}\u0000${member.id}`);
      } catch (err) {
        this.refusedUnaudited(req, err, member);
        throw err;
      }
    }
    try {
      authorize(member, channelId, this.permissions);
      req.member = member;
      return true;
    } catch (err) {
      // A member's refused export request goes into their own channel's log; never into another's.
      if (exportRequest && member.channelId === channelId) await auditRefusal(this.audit, this.log, member, channelId, req.body, err);
      else this.refusedUnaudited(req, err, member);
      throw err;
    }
  }

  /** Bounded metadata only: never the body, the token or the full path. */
  private refusedUnaudited(req: Request, err: unknown, member?: Member): void {
    this.log('warn', 'request refused', {
      method: req.method,
      path: req.path.slice(0, 200),
      address: req.socket.remoteAddress ?? null,
      status: httpStatusOf(err),
      code: err instanceof AppError ? err.code : 'INTERNAL',
      ...(member && { memberId: member.id.slice(0, 128), memberChannelId: member.channelId.slice(0, 128) }),
    });
  }
}

/** The channel's export audit log: it names every requester and their reasons, so it has a permission of its own. */
@Injectable()
export class AuditorGuard extends MemberGuard {
  protected override readonly permissions: readonly string[] = [AUDIT_PERMISSION];
}

/** The dashboard's reads: caseStats:view or caseStats:download. */
@Injectable()
export class ViewerGuard extends MemberGuard {
  protected override readonly permissions: readonly string[] = [VIEW_PERMISSION, DOWNLOAD_PERMISSION];
}
