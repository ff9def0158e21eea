export * from './export-job.decide';
export * from './export-job.repository';
export * from './audit-log.repository';
