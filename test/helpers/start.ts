import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/**
 * The program and arguments of `npm start` (package.json's start script, `node ...` run with
 * this node), without npm in between: the tests start what a user starts.
 */
export function npmStartCommand(): { file: string; args: string[] } {
  const script: string = require(path.join(ROOT, 'package.json')).scripts.start;
  const [program, ...args] = script.trim().split(/\s+/);
  if (program !== 'node') throw new Error(`package.json's start script does not start with node: ${script}`);
  return { file: process.execPath, args };
}
