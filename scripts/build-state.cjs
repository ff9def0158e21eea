// Whether a bundle in dist/ is older than what it was built from. CommonJS and dependency-free, so
// that bin/casestats.js can ask it synchronously at start in a source checkout (a few stat calls).
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const STAMP = 'build-inputs.json';

/** dist/<root> for a project root or bench folder, e.g. apps/cli → dist/apps/cli. */
const outDirOf = (projectRoot) => join(ROOT, 'dist', projectRoot);

/** True when the bundle is missing or any file it was built from changed since. */
function isStale(projectRoot) {
  const out = outDirOf(projectRoot);
  let stamp;
  try {
    stamp = { at: statSync(join(out, STAMP)).mtimeMs, files: JSON.parse(readFileSync(join(out, STAMP), 'utf8')).files };
  } catch {
    return true;
  }
  for (const file of stamp.files) {
    try {
      if (statSync(join(ROOT, file)).mtimeMs > stamp.at) return true;
    } catch {
      return true; // deleted or moved
    }
  }
  return false;
}

module.exports = { ROOT, STAMP, outDirOf, isStale };
