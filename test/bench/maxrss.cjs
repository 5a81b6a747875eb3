'use strict';
// Preloaded into a measured billbot process by the user-path benchmark (./userPath.ts):
// `node --require test/bench/maxrss.cjs bin/billbot.js ...`. On exit it writes the process's
// peak resident set size (in KB) to the file named by BENCH_MAXRSS_FILE. It loads nothing and
// changes nothing else. On Linux the figure is VmHWM of /proc/self/status: getrusage's maxRSS
// (process.resourceUsage().maxRSS) also counts the parent's memory at the fork that started
// this process (the kernel keeps the forked copy's high-water mark across exec), so a
// benchmark that had just written a 1,000,000-row workbook (about 700 MB) saw that as the
// import's peak whatever the import used.
const file = process.env.BENCH_MAXRSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      const fs = require('node:fs');
      let kb = process.resourceUsage().maxRSS;
      try {
        const own = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
        if (own) kb = Number(own[1]);
      } catch {
        // Not Linux: maxRSS it is.
      }
      fs.writeFileSync(file, String(kb));
    } catch {
      // The figure is missing; the benchmark reports that.
    }
  });
}
