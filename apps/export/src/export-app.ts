import 'reflect-metadata';
import { dirname, join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { Config, jsonLog } from '@casestats/config';
import type { CaseDashboard } from '@casestats/export';
import { ExportModule } from './export.module';
import { useBodyParsing } from './http/body-parsing';
import { TimedExpressAdapter, addressRateLimit, bodyDeadline, securityHeaders } from './http/http-hardening';
import { ErrorFilter } from './http/error.filter';
import { ExportWorker, Log } from './jobs/export-worker';
import { DASHBOARD, WORKER } from './tokens';

export interface ExportServer {
  url: string;
  port: number;
  worker: ExportWorker;
  close(): Promise<void>;
}

export async function startExportServer(config: Config, db: DataSource, log: Log = jsonLog('export', config.logLevel), port = config.export.port): Promise<ExportServer> {
  const app = await NestFactory.create<NestExpressApplication>(ExportModule.register(config, db, log), new TimedExpressAdapter(config.export.requestTimeoutMs), {
    logger: ['error', 'warn'],
    bodyParser: false,
  });
  app.use(securityHeaders);
  app.use(bodyDeadline(config.export.requestTimeoutMs));
  app.use('/api', addressRateLimit(config.export.rateLimitPerAddress));
  useBodyParsing(app);
  app.useGlobalFilters(new ErrorFilter(log));
  app.useStaticAssets(join(__dirname, 'public'), { index: 'index.html' });
  // The dashboard's charts, from the installed package (no CDN: the app works offline). Resolved at
  // run time, so the same line serves from the tsx sources and from the bundle in dist/.
  app.useStaticAssets(dirname(require.resolve('uplot/dist/uPlot.iife.min.js')), { prefix: '/vendor/uplot/' });
  app.disable('x-powered-by');
  // No enableShutdownHooks: whoever runs the server owns SIGINT/SIGTERM and calls close(). Nest's
  // handler closed the app and re-sent the signal, which killed the process before the worker had
  // ended its jobs: they stayed `running`, their partial files on disk.
  const worker = app.get<ExportWorker>(WORKER);
  const dashboard = app.get<CaseDashboard>(DASHBOARD);
  await worker.start();
  try {
    await app.listen(port, config.export.host);
  } catch (err) {
    // Nothing may outlive a server that did not start: the worker's timer and the dashboard's
    // cache kept `serve` and `start` running after EADDRINUSE, instead of failing (exit 1).
    await worker.stop().catch(() => undefined);
    dashboard.close();
    await app.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${port} on ${config.export.host} is in use: stop what holds it, or set EXPORT_PORT to a free port`);
    if (code === 'EACCES') throw new Error(`port ${port} on ${config.export.host} is not allowed to this user: set EXPORT_PORT to a port above 1023`);
    throw err;
  }
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://${config.export.host === '0.0.0.0' ? '127.0.0.1' : config.export.host}:${address.port}`;
  log('info', 'export app listening', { url });
  return {
    url,
    port: address.port,
    worker,
    async close() {
      await worker.stop();
      dashboard.close();
      await app.close();
    },
  };
}
