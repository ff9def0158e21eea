import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';

const TSCONFIG = resolve(__dirname, '../../../tsconfig.base.json');
/** Inside a bundle of scripts/build.mjs this module is part of a .js file; under tsx or vitest it is itself. */
const COMPILED = !__filename.endsWith('.ts');

/**
 * Starts a worker thread on a `*.worker.ts` file named beside its caller (`join(__dirname, …)`).
 * In a bundle the build put `<name>.worker.js` next to the bundle, which is where the caller's
 * __dirname then points; from the sources, the thread registers tsx (with the path aliases) first,
 * as a worker starts without the loader of the thread that created it.
 */
export function startTypeScriptWorker(file: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  if (COMPILED) return new Worker(file.replace(/\.ts$/, '.js'), { workerData, resourceLimits });
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  const bootstrap = [
    `process.env.TSX_TSCONFIG_PATH ||= ${JSON.stringify(TSCONFIG)};`,
    `require(${JSON.stringify(tsx)});`,
    `require(${JSON.stringify(file)});`,
  ].join('\n');
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}
