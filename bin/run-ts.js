#!/usr/bin/env node
// Runs a TypeScript entry point of this repository with tsx, resolving the
// @casestats/* path aliases from tsconfig.base.json whatever the working directory.
'use strict';
const path = require('node:path');
// The projector and the export allocate many short-lived objects per event and per cell; a larger
// young generation means fewer scavenges (measured: ~7% more projector throughput at 32 MB).
// Set before anything is allocated in earnest, which is when V8 sizes new space.
require('node:v8').setFlagsFromString('--max-semi-space-size=32');
process.env.TSX_TSCONFIG_PATH = path.join(__dirname, '..', 'tsconfig.base.json');
require('tsx/cjs');
const entry = process.argv[2];
process.argv.splice(1, 2, path.resolve(entry));
require(path.resolve(entry));
