import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, httpStatusOf } from '@casestats/config';
import type { Log } from '../jobs/export-worker';
import { databaseUnavailable, isDatabaseUnavailable } from '../jobs/database-errors';

/** The one place where error codes become HTTP statuses. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Log) {}

  catch(caught: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    // An outage is no fault of the request nor a bug: 503, so that clients try again.
    const err = isDatabaseUnavailable(caught) ? databaseUnavailable() : caught;
    if (err !== caught) this.log('warn', 'database unavailable', { error: (caught as Error).message });
    if (err instanceof AppError) {
      const retryAfter = err.details.retryAfterSeconds;
      if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
      res.status(httpStatusOf(err)).json({ code: err.code, message: err.message, problems: err.problems, ...err.details });
      return;
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      res.status(status).json({ code: status === 404 ? 'INPUT.NOT_FOUND' : 'INPUT.INVALID', message: err.message });
      return;
    }
    this.log('error', 'unhandled error', { error: (err as Error)?.stack ?? String(err) });
    res.status(500).json({ code: 'INTERNAL', message: 'internal error' });
  }
}
