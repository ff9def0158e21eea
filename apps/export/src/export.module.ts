import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Config } from '@casestats/config';
import { CaseDashboard, caseUrlBuilder } from '@casestats/export';
import { CaseStatsCache } from '@casestats/read-model';
import { AuditorGuard, MemberGuard, ViewerGuard, memberRateLimit } from './auth/member.guard';
import { CaseExportsController, ExportAuditController } from './http/case-exports.controller';
import { CaseChangesController } from './http/case-changes.controller';
import { CaseDashboardController } from './http/case-dashboard.controller';
import { MetaController } from './http/meta.controller';
import { AuditLog } from '@casestats/export-jobs';
import { ExportJobsService } from './jobs/export-jobs.service';
import { ExportWorker, Log } from './jobs/export-worker';
import { AUDIT, CONFIG, DASHBOARD, DATA_SOURCE, JOBS, LOG, MEMBER_LIMIT, WORKER } from './tokens';

/** Wiring only: the providers are plain classes built by factories. */
@Module({})
export class ExportModule {
  static register(config: Config, db: DataSource, log: Log): DynamicModule {
    return {
      module: ExportModule,
      controllers: [MetaController, CaseExportsController, ExportAuditController, CaseChangesController, CaseDashboardController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: DATA_SOURCE, useValue: db },
        { provide: LOG, useValue: log },
        { provide: AUDIT, useFactory: () => new AuditLog(db) },
        { provide: WORKER, useFactory: (audit: AuditLog) => new ExportWorker(db, config, audit, log), inject: [AUDIT] },
        { provide: JOBS, useFactory: (audit: AuditLog, worker: ExportWorker) => new ExportJobsService(db, config, audit, worker, log), inject: [AUDIT, WORKER] },
        { provide: MEMBER_LIMIT, useFactory: () => memberRateLimit(config) },
        {
          provide: DASHBOARD,
          useFactory: () => new CaseDashboard(db, new CaseStatsCache(db), config.export, caseUrlBuilder(config.export.caseUrlTemplate)),
        },
        MemberGuard,
        AuditorGuard,
        ViewerGuard,
      ],
    };
  }
}
