import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '@casestats/config';
import { jsonBodiesOnly } from './http-hardening';

/** body-parser's own default, named so that the refusal can say it. */
export const BODY_LIMIT = '100kb';

/**
 * body-parser's refusals, told by their `type`, become coded errors that the error filter maps
 * like any other. A parser's own message quotes the body around the bad token (a password
 * included), and Nest would answer it as it is; an oversized body is no HttpException at all and
 * came out as an unhandled 500.
 */
function refusal(err: unknown): AppError | null {
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  switch (type) {
    case 'entity.parse.failed':
      return new AppError('INPUT.INVALID', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new AppError('INPUT.TOO_LARGE', `the request body is larger than the limit of ${BODY_LIMIT}`);
    case 'parameters.too.many':
      return new AppError('INPUT.INVALID', 'the request body has too many parameters');
    case 'encoding.unsupported':
      return new AppError('INPUT.UNSUPPORTED_MEDIA_TYPE', 'the request body is in an unsupported Content-Encoding: send it plain, gzip or deflate');
    case 'charset.unsupported':
      return new AppError('INPUT.UNSUPPORTED_MEDIA_TYPE', 'the request body is in an unsupported charset: send UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError('INPUT.INVALID', 'the request body was not received whole');
    default:
      // A body that does not inflate (a corrupt gzip) has no type, only the status 400.
      return typeof status === 'number' && status >= 400 && status < 500 ? new AppError('INPUT.INVALID', 'the request body could not be read (is its Content-Encoding right?)') : null;
  }
}

function bodyRefusals(err: unknown, _req: Request, _res: Response, next: NextFunction): void {
  next(refusal(err) ?? err);
}

/**
 * Nest's own parsers are off (`bodyParser: false`): JSON only (form-encoded bodies are refused
 * with 415 before they are read), with its errors translated right after it.
 */
export function useBodyParsing(app: NestExpressApplication): void {
  app.use(jsonBodiesOnly);
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.use(bodyRefusals);
}
