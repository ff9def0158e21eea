#!/usr/bin/env node
'use strict';
const path = require('node:path');
process.env.TSX_TSCONFIG_PATH = path.join(__dirname, '..', 'tsconfig.base.json');
require('tsx/cjs');
require('../apps/cli/src/main.ts').main();
