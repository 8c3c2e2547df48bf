#!/usr/bin/env node
// Runs the TypeScript sources through SWC (decorator metadata and the workspace's path aliases included).
const { join } = require('node:path');
process.env.SWC_NODE_PROJECT = join(__dirname, '..', '..', '..', 'tsconfig.base.json');
require('@swc-node/register');
require('../src/main.ts');
