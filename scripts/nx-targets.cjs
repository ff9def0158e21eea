// A local Nx plugin: every project (a project.json under apps/, libs/ or test/) gets its build,
// test and typecheck targets from its files, so a new or moved project needs no edits to have them.
// Caching, inputs and the order of targets are set once, in nx.json's targetDefaults.
'use strict';
const { existsSync, readdirSync } = require('node:fs');
const { dirname, join } = require('node:path');

function hasSpecs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    if (entry.isDirectory() ? hasSpecs(join(dir, entry.name)) : entry.name.endsWith('.spec.ts')) return true;
  }
  return false;
}

function targetsOf(root, workspaceRoot) {
  const dir = join(workspaceRoot, root);
  // The spec files are hidden from Nx (.nxignore: their imports of libs/testing would otherwise
  // draw edges, and loops, in the graph), so their contents enter the hashes through a command.
  const specs = hasSpecs(dir) ? [{ runtime: `find ${root} -name '*.spec.ts' | sort | xargs sha1sum` }] : [];
  const targets = {
    typecheck: {
      command: `node scripts/typecheck.mjs ${root}`,
      options: { cwd: '{workspaceRoot}' },
      inputs: ['default', '^production', '{workspaceRoot}/scripts/typecheck.mjs', { externalDependencies: ['typescript'] }, ...specs],
    },
    // Only the inputs: @nx/eslint/plugin infers the command.
    lint: { inputs: ['default', '{workspaceRoot}/eslint.config.mjs', ...specs] },
  };
  // An application is what scripts/build.mjs bundles: a main.ts that starts it. Libraries are
  // bundled into the applications that import them and have no build of their own.
  if (root.startsWith('apps/') && existsSync(join(dir, 'src/main.ts'))) {
    targets.build = { command: `node scripts/build.mjs ${root}`, options: { cwd: '{workspaceRoot}' } };
  }
  // The trailing slash keeps apps/export from also running apps/export-something's specs.
  if (specs.length) {
    targets.test = {
      command: `vitest run ${root}/`,
      options: { cwd: '{workspaceRoot}' },
      inputs: ['default', '^production', '{workspaceRoot}/vitest.config.mts', ...specs],
    };
  }
  return targets;
}

const createNodes = [
  '{apps,libs,test}/**/project.json',
  (files, _options, context) =>
    files.map((file) => {
      const root = dirname(file);
      return [file, { projects: { [root]: { targets: targetsOf(root, context.workspaceRoot) } } }];
    }),
];

module.exports = { name: 'casestats-targets', createNodes, createNodesV2: createNodes };
