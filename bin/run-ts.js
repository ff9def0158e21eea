#!/usr/bin/env node
// Runs a TypeScript entry point of this repository with tsx, resolving the
// @casestats/* path aliases from tsconfig.base.json whatever the working directory.
'use strict';
const path = require('node:path');
process.env.TSX_TSCONFIG_PATH = path.join(__dirname, '..', 'tsconfig.base.json');
require('tsx/cjs');
const entry = process.argv[2];
process.argv.splice(1, 2, path.resolve(entry));
require(path.resolve(entry));
