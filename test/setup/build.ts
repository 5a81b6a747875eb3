import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * The tests that start billbot as a process (the CLI, `npm start`) run the compiled JavaScript
 * in dist/, as a user does. Before the tests, dist/ is rebuilt (`npm run build`) when any source
 * file or folder (a deletion changes its folder) is newer than the build, so those tests never
 * run yesterday's code.
 */
const ROOT = path.resolve(__dirname, '../..');
const SOURCES = ['bot', 'billing', 'sheets', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const BUILT = path.join(ROOT, 'dist', 'bot', 'main.js');

async function newestChange(entry: string): Promise<number> {
  const stat = await fs.stat(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of await fs.readdir(entry)) newest = Math.max(newest, await newestChange(path.join(entry, child)));
  return newest;
}

export async function buildIfStale(): Promise<void> {
  const built = await fs.stat(BUILT).then((s) => s.mtimeMs, () => 0);
  let newest = 0;
  for (const source of SOURCES) newest = Math.max(newest, await newestChange(path.join(ROOT, source)));
  if (built >= newest) return;
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
