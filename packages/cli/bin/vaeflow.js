#!/usr/bin/env node
'use strict';
// The `vaeflow` command. This file is committed (not built) so that npm links it as a bin
// on a fresh install, before the TypeScript build runs; the implementation is in dist/.
let cli;
try {
  cli = require('../dist/main.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/main.js')) {
    process.stderr.write('vaeflow: @vaeflow/cli is not built yet; run `npm run build` in the workspace\n');
    process.exit(2);
  }
  throw e;
}
void cli.run(process.argv);
