import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, httpStatusOf } from '@casestats/config';
import type { Log } from '../jobs/export-worker';

/** The one place where error codes become HTTP statuses. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Log) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (err instanceof AppError) {
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
