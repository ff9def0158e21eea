import { createServer } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '@casestats/config';
import { RateLimiter } from './rate-limit';

/**
 * What the page may load: its own scripts, styles, images and API, nothing inline, in no frame.
 * The page is written for it (no inline script or style attribute, no eval).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** On every answer, the page's and the API's alike. */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
}

const ENCODINGS = new Set(['identity', 'gzip', 'deflate']);

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * A body is JSON, plain or gzip/deflate-compressed, or it is refused with 415 before it is read:
 * form-encoded bodies were accepted (a form on any site could post one), and `br` reached the
 * parser, which answered a corrupt one with a 500.
 */
export function jsonBodiesOnly(req: Request, _res: Response, next: NextFunction): void {
  if (!hasBody(req)) return next();
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!ENCODINGS.has(encoding)) {
    return next(new AppError('INPUT.UNSUPPORTED_MEDIA_TYPE', 'the request body is in an unsupported Content-Encoding: send it plain, gzip or deflate'));
  }
  if (!req.is('application/json')) {
    return next(new AppError('INPUT.UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON (Content-Type: application/json)'));
  }
  next();
}

/**
 * A request body must arrive whole within `timeoutMs` of its headers, or its connection is closed.
 * Node's own requestTimeout (set too, in TimedExpressAdapter) did not always fire for a body stalled
 * mid-way once the connection had served other requests; this timer does not depend on it.
 */
export function bodyDeadline(timeoutMs: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Only while a body is read: an answer (a download) may take as long as it takes.
    if (!hasBody(req) || req.complete) return next();
    const timer = setTimeout(() => req.socket.destroy(), timeoutMs);
    const done = () => clearTimeout(timer);
    req.once('end', done);
    req.once('close', done);
    res.once('finish', done);
    next();
  };
}

/**
 * Requests per client address, counted before any token is read. The socket's address: a
 * forwarded-for header is the client's to write. Behind a proxy every client shares its address,
 * so the limit must be raised there.
 */
export function addressRateLimit(limit: number) {
  const limiter = new RateLimiter(limit, 'from this address');
  return (req: Request, _res: Response, next: NextFunction): void => {
    try {
      limiter.take(req.socket.remoteAddress ?? 'unknown');
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * Node's own server with request timeouts: the headers and the body must arrive within
 * `timeoutMs`, checked every second (Node's default check runs every 30 s, which kept stalled
 * bodies open for 40 s and more). An answer being sent is not limited: a download may be slow.
 */
export class TimedExpressAdapter extends ExpressAdapter {
  constructor(private readonly timeoutMs: number) {
    super();
  }

  override initHttpServer(): void {
    this.httpServer = createServer(
      { requestTimeout: this.timeoutMs, headersTimeout: this.timeoutMs, connectionsCheckingInterval: Math.min(1000, this.timeoutMs) },
      this.getInstance(),
    );
  }
}
