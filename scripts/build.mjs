#!/usr/bin/env node
// Bundles an application (apps/<name>/src/main.ts) or a bench script into dist/<same path>/ as
// CommonJS, with every *.worker.ts of the workspace beside it under the same base name and the
// project's public/ folder copied. Usage: node scripts/build.mjs [--if-stale] [--quiet] [apps/cli | bench/x.ts]…
// (no argument: every app). esbuild is what tsx already ran the sources with, so the bundle behaves
// as they did (decorators, tsconfig paths) and npm packages stay external (node_modules at runtime).
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { builtinModules, createRequire } from 'node:module';

const { ROOT, STAMP, outDirOf, isStale } = createRequire(import.meta.url)('./build-state.cjs');
const SOURCE_DIRS = ['apps', 'libs'];

const sourceFiles = () =>
  SOURCE_DIRS.flatMap((dir) => readdirSync(join(ROOT, dir), { recursive: true }).map((f) => join(dir, String(f))));

/** Worker threads are started by file name (libs/config's worker-thread), so each is an entry of its own. */
function workerEntries(files) {
  const entries = {};
  for (const file of files.filter((f) => f.endsWith('.worker.ts') && !f.includes('.spec.'))) {
    const name = basename(file, '.ts');
    if (entries[name]) throw new Error(`two workers named ${name}: ${entries[name]} and ${file}`);
    entries[name] = file;
  }
  return entries;
}

/** Writes a file atomically: a CLI started meanwhile reads the old bundle or the new one, never half of one. */
function writeAtomic(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

/** The image installs the dependencies only (npm ci --omit=dev): an app importing a devDependency would start here and fail there. */
function assertProductionImports(metafile) {
  const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const missing = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const { path, external } of output.imports) {
      if (!external || path.startsWith('node:') || builtinModules.includes(path)) continue;
      const pkg = path.split('/').slice(0, path.startsWith('@') ? 2 : 1).join('/');
      if (!dependencies[pkg]) missing.add(pkg);
    }
  }
  if (missing.size) throw new Error(`the bundle imports packages that are not production dependencies: ${[...missing].join(', ')}`);
}

async function bundle(target) {
  const started = new Date();
  const out = outDirOf(target.replace(/\.ts$/, ''));
  const files = sourceFiles();
  const main = target.endsWith('.ts') ? target : join(target, 'src/main.ts');
  if (!existsSync(join(ROOT, main))) throw new Error(`nothing to build: ${main} does not exist`);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main, ...workerEntries(files) },
    outdir: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    tsconfig: 'tsconfig.base.json',
    // Nest, TypeORM and the loggers read class names; a bundle would rename clashing ones.
    keepNames: true,
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  if (target.startsWith('apps/')) assertProductionImports(result.metafile);
  for (const f of result.outputFiles) writeAtomic(f.path, f.contents);
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
  // The static page of the app whose sources are bundled (apps/export/src/public), next to main.js
  // where `join(__dirname, 'public')` finds it.
  const assets = [];
  for (const dir of new Set(inputs.map((f) => f.split('/').slice(0, 3).join('/')))) {
    const pub = join(dir, 'public');
    if (!existsSync(join(ROOT, pub))) continue;
    rmSync(join(out, 'public'), { recursive: true, force: true });
    cpSync(join(ROOT, pub), join(out, 'public'), { recursive: true });
    assets.push(...files.filter((f) => f.startsWith(`${pub}/`)));
  }
  const stamp = { files: [...inputs, ...assets, 'tsconfig.base.json', 'scripts/build.mjs'].sort() };
  writeAtomic(join(out, STAMP), `${JSON.stringify(stamp, null, 1)}\n`);
  // Stamped with the start: a source saved during the build makes the next start rebuild.
  utimesSync(join(out, STAMP), started, started);
  return relative(ROOT, out);
}

const args = process.argv.slice(2);
const ifStale = args.includes('--if-stale');
let targets = args.filter((a) => !a.startsWith('--'));
if (!targets.length) targets = readdirSync(join(ROOT, 'apps')).map((a) => `apps/${a}`).filter((a) => existsSync(join(ROOT, a, 'src/main.ts')));
for (const target of targets) {
  if (ifStale && !isStale(target.replace(/\.ts$/, ''))) continue;
  const t0 = performance.now();
  const out = await bundle(target);
  if (!args.includes('--quiet')) console.log(`built ${out} in ${Math.round(performance.now() - t0)} ms`);
}
