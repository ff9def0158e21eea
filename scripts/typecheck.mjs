#!/usr/bin/env node
// Type-checks one project (`nx run <project>:typecheck`): tsc on the project's files with the
// workspace's compiler options and path aliases, following its imports into the libraries it uses.
// Usage: node scripts/typecheck.mjs libs/export
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const project = process.argv[2];
if (!project) {
  console.error('usage: node scripts/typecheck.mjs <project root>');
  process.exit(2);
}
// tsc takes either a tsconfig or file names, never both: a small tsconfig per project, under tmp/.
const dir = join(ROOT, 'tmp', 'typecheck');
mkdirSync(dir, { recursive: true });
const config = join(dir, `${project.replaceAll('/', '_')}.json`);
const rel = (p) => relative(dir, join(ROOT, p));
writeFileSync(
  config,
  JSON.stringify({ extends: rel('tsconfig.base.json'), compilerOptions: { noEmit: true }, include: [`${rel(project)}/**/*.ts`] }, null, 1),
);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
