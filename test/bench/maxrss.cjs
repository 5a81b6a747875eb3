'use strict';
// Preloaded into a measured billbot process by the user-path benchmark (./userPath.ts):
// `node --require test/bench/maxrss.cjs bin/billbot.js ...`. On exit it writes the process's
// peak resident set size (process.resourceUsage().maxRSS, in KB) to the file named by
// BENCH_MAXRSS_FILE. It loads nothing and changes nothing else.
const file = process.env.BENCH_MAXRSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      require('node:fs').writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // The figure is missing; the benchmark reports that.
    }
  });
}
