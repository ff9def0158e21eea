export * from './export-job.decide';
