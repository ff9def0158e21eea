export * from './export-request.dto';
export * from './export-rules';
export * from './case-query';
export * from './zoned-time';
export * from './case-columns';
export * from './export-pipeline';
export * from './export-info';
export * from './case-dashboard';
