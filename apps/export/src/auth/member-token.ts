import { SignJWT, errors, jwtVerify } from 'jose';
import { AppError } from '@casestats/config';

export const DOWNLOAD_PERMISSION = 'caseStats:download';
/** Seeing the dashboard's figures and case list; downloading still needs caseStats:download. */
export const VIEW_PERMISSION = 'caseStats:view';
/** Reading a channel's export audit log is a permission of its own: the log names every requester. */
export const AUDIT_PERMISSION = 'caseStats:audit';
/** Every permission a member token may carry: anything else grants nothing, so signing it is a mistake. */
export const PERMISSIONS: readonly string[] = [DOWNLOAD_PERMISSION, VIEW_PERMISSION, AUDIT_PERMISSION];
/** A token may live 30 days at most: one signed for years is a standing key to the channel's data. */
export const MAX_TOKEN_LIFETIME_SECONDS = 30 * 86_400;
/** How far ahead of ours the signer's clock may run. */
const CLOCK_TOLERANCE_SECONDS = 60;

/** The signed-in team member, as the bearer token says. */
export interface Member {
  id: string;
  name: string | null;
  channelId: string;
  permissions: string[];
}

const encoder = new TextEncoder();

/**
 * HS256 only: `alg: none`, other HMACs and public-key algorithms are refused by jose's algorithm
 * allow-list before any claim is read. `exp`, `iat` and `sub` are required; a token issued in the
 * future, or living longer than MAX_TOKEN_LIFETIME_SECONDS, is refused.
 */
export async function verifyMemberToken(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<Member> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'iat', 'sub'],
      currentDate: new Date(nowSeconds * 1000),
    });
    const { sub, name, channelId, permissions, iat, exp } = payload as Record<string, unknown>;
    if (typeof iat !== 'number' || iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) throw new AppError('AUTH.UNAUTHENTICATED', 'the token is issued in the future');
    if (typeof exp !== 'number' || exp - iat > MAX_TOKEN_LIFETIME_SECONDS) {
      throw new AppError('AUTH.UNAUTHENTICATED', `the token lives longer than ${MAX_TOKEN_LIFETIME_SECONDS / 86_400} days`);
    }
    if (typeof channelId !== 'string' || !channelId) throw new AppError('AUTH.UNAUTHENTICATED', 'the token has no channelId claim');
    if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string')) {
      throw new AppError('AUTH.UNAUTHENTICATED', 'the token has no permissions claim');
    }
    return { id: String(sub), name: typeof name === 'string' ? name : null, channelId, permissions };
  } catch (err) {
    if (err instanceof AppError) throw err;
    const why = err instanceof errors.JWTExpired ? 'the token has expired' : 'the token is not valid';
    throw new AppError('AUTH.UNAUTHENTICATED', why);
  }
}

export interface TokenRequest {
  memberId: string;
  name?: string;
  channelId: string;
  permissions: string[];
  expiresIn: string;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `30m`, `8h`, `7d` → seconds; at most the lifetime a token may have. */
export function durationSeconds(text: string): number {
  const m = /^(\d+)([smhdw])$/.exec(text);
  if (!m) throw new AppError('INPUT.INVALID', `not a duration: ${JSON.stringify(text)} (use 30m, 8h, 7d)`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2]];
  if (seconds > MAX_TOKEN_LIFETIME_SECONDS) throw new AppError('INPUT.INVALID', `a token may live ${MAX_TOKEN_LIFETIME_SECONDS / 86_400} days at most, not ${text}`);
  return seconds;
}

/** Times come from the caller's clock, so that a token's lifetime is exactly what was asked. */
export async function signMemberToken(req: TokenRequest, secret: string, nowSeconds: number): Promise<string> {
  return new SignJWT({ name: req.name, channelId: req.channelId, permissions: req.permissions })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(req.memberId)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + durationSeconds(req.expiresIn))
    .sign(encoder.encode(secret));
}

/** The member holds `permission` (downloading case statistics unless said) in this channel, and no other. */
export function authorize(member: Member, channelId: string, permissions: readonly string[] = [DOWNLOAD_PERMISSION]): void {
  if (!permissions.some((p) => member.permissions.includes(p))) {
    throw new AppError('AUTH.FORBIDDEN', `the member lacks the ${permissions.join(' or ')} permission`);
  }
  if (member.channelId !== channelId) throw new AppError('AUTH.FORBIDDEN', 'the token is for another channel');
}

export function bearerToken(header: string | undefined): string {
  const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header ?? '');
  if (!m) throw new AppError('AUTH.UNAUTHENTICATED', header ? 'the Authorization header is not a bearer token' : 'sign in: no bearer token');
  return m[1];
}
