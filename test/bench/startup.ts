/**
 * Startup times on the user's own path (`npm run bench`, section "startup"; alone:
 * `BENCH_STEPS=startup npm run bench`). Each figure is a fresh process, as a person starts it,
 * on the embedded database in a folder of its own that the first commands initialise:
 *   - the floor: `node -e 0`;
 *   - `billbot --help`;
 *   - `billbot invoice 18 --json` (the embedded server already initialised: each run starts
 *     it, reads the invoice and stops it);
 *   - `npm start` until the shell's prompt, on that existing database.
 * Each is run RUNS times; the median is held against its target, the slowest is shown too.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildIfStale } from '../setup/build';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'billbot.js');
const RUNS = 7;

export interface StartupFigure {
  what: string;
  command: string;
  medianMs: number;
  maxMs: number;
  targetMs: number | null;
}

interface Run {
  ms: number;
  stdout: string;
  stderr: string;
  code: number;
}

function timed(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    execFile(file, args, { env, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ ms, stdout, stderr, code: error ? (typeof error.code === 'number' ? error.code : 1) : 0 });
    });
  });
}

/** `npm start` until the shell prints its prompt; then /exit. */
function timeToPrompt(env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('npm', ['start'], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ms = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!ms && out.includes('billbot> ')) {
        ms = Number(process.hrtime.bigint() - start) / 1e6;
        child.stdin.end('/exit\n');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (ms && code === 0 ? resolve(ms) : reject(new Error(`npm start ended with ${code} before its prompt: ${err.trim()}`))));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function repeat(what: string, command: string, targetMs: number | null, once: () => Promise<number>): Promise<StartupFigure> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await once());
  return { what, command, medianMs: median(times), maxMs: Math.max(...times), targetMs };
}

export async function measureStartup(log: (m: string) => void): Promise<StartupFigure[]> {
  await buildIfStale();
  // Not mkdtemp: the postgres OS user (billbot runs as root here) must enter the folder.
  const folder = path.join(os.tmpdir(), `billbot-bench-startup-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(folder, { mode: 0o755 });
  await fs.chmod(folder, 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, BILLBOT_DATA_DIR: path.join(folder, 'pg'), LOG_LEVEL: 'warn' };
  for (const key of Object.keys(env)) if (key.startsWith('SLACK_') || key === 'DATABASE_URL') delete env[key];
  const cli = (args: string[]) => timed(process.execPath, [BIN, ...args], env, folder);
  try {
    for (const args of [['demo'], ['bill', 'Child Co', '--from', '2026-09-01', '--to', '2026-09-30']]) {
      const r = await cli(args);
      if (r.code !== 0) throw new Error(`billbot ${args.join(' ')} failed: ${r.stderr.trim()}`);
    }
    const figures: StartupFigure[] = [];
    figures.push(await repeat('floor: node -e 0', 'node -e 0', null, async () => (await timed(process.execPath, ['-e', '0'], env, folder)).ms));
    figures.push(
      await repeat('billbot --help', 'billbot --help', 300, async () => {
        const r = await cli(['--help']);
        if (r.code !== 0 || !r.stdout.includes('Usage: billbot')) throw new Error(`billbot --help failed: ${r.stderr}`);
        return r.ms;
      }),
    );
    figures.push(
      await repeat('billbot invoice 18 --json (embedded database, initialised)', 'billbot invoice 18 --json', 800, async () => {
        const r = await cli(['invoice', '18', '--json']);
        const invoice = r.code === 0 ? (JSON.parse(r.stdout) as { invoice?: { total?: string } }).invoice : undefined;
        if (!invoice || !String(invoice.total).startsWith('140')) throw new Error(`billbot invoice 18 --json gave: ${r.stdout}${r.stderr}`);
        return r.ms;
      }),
    );
    figures.push(await repeat('npm start to the shell prompt (existing database)', 'npm start', 2000, () => timeToPrompt(env, ROOT)));
    for (const f of figures) log(`${f.what}: median ${f.medianMs.toFixed(0)} ms, slowest ${f.maxMs.toFixed(0)} ms`);
    return figures;
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}
