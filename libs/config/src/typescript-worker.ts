import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';

const TSCONFIG = resolve(__dirname, '../../../tsconfig.base.json');

/**
 * Every entry point here runs TypeScript through tsx, registered in-process; a worker thread starts
 * without it, so its bootstrap registers tsx (with the repository's path aliases) before loading.
 */
export function startTypeScriptWorker(file: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  const bootstrap = [
    `process.env.TSX_TSCONFIG_PATH ||= ${JSON.stringify(TSCONFIG)};`,
    `require(${JSON.stringify(tsx)});`,
    `require(${JSON.stringify(file)});`,
  ].join('\n');
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}
