import { spawn } from 'node:child_process';
import path from 'node:path';
import { npmStartCommand } from '../helpers/start';
import { useTestDatabase } from '../helpers/db';

const ROOT = path.resolve(__dirname, '../..');

jest.setTimeout(120_000);

/** `npm start` without Slack settings (the compiled bot/main.ts), lines on stdin. */
function start(url: string, lines: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLACK_'))) as Record<string, string>;
  return new Promise((resolve, reject) => {
    const child = spawn(npmStartCommand().file, npmStartCommand().args, {
      cwd: ROOT,
      env: { ...env, DATABASE_URL: url, BILLBOT_SHELL_USER: 'shell-tester', LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

describe('npm start without Slack settings', () => {
  const t = useTestDatabase();

  it('opens the local shell on the database and quits on /exit', async () => {
    const result = await start(t.url, ['demo', '/credit add "Parent Co" 12.50 Late delivery', '/exit']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('billbot shell: you are shell-tester.');
    expect(result.stdout).toContain('Worked example loaded');
    expect(result.stdout).toContain('of $12.50 added to *Parent Co*: “Late delivery”.');
    expect(result.stdout.trimEnd().endsWith('Bye.')).toBe(true);
    expect(await t.db('credits').select('created_by', 'amount')).toEqual([{ created_by: 'shell-tester', amount: '12.500000' }]);
  });

  it('refuses a bad setting with one sentence and a non-zero exit', async () => {
    const env = { ...process.env, PORT: 'x' };
    const child = spawn(npmStartCommand().file, npmStartCommand().args, { cwd: ROOT, env });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end();
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(2);
    expect(stderr).toBe('PORT must be a whole number from 1 to 65535.\n');
  });
});
