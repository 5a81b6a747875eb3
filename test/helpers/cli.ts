import { execFile } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/billbot.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/billbot.js ...args` as a child process against the database at `url`, as
 * user `cli-tester`, without the Slack settings or DATABASE_URL of the environment running the
 * tests. Each run starts node (and tsx): on a busy machine that takes seconds.
 */
export function billbot(url: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('SLACK_') && k !== 'DATABASE_URL' && k !== 'BILLBOT_USER'),
  ) as Record<string, string>;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd, env: { ...base, DATABASE_URL: url, BILLBOT_USER: 'cli-tester', LOG_LEVEL: 'warn', ...options.env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
