/**
 * Running one measured step of the benchmark in a Node process of its own (test/bench/child.ts),
 * so that its peak resident memory (process.resourceUsage().maxRSS at its end) is the step's
 * alone. The task goes in BENCH_TASK (JSON) and the connection string in BENCH_DATABASE_URL
 * (never on the command line, where `ps` would show its password); the result comes back over
 * the IPC channel. This module loads nothing of billbot itself, so the runner does not either.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import type { BillRunReport } from '../../billing';

export type ChildTask =
  | { kind: 'bill'; configuration: string; from: string; to: string; preview: boolean; familiesPerBatch?: number; workers?: number }
  | { kind: 'import'; file: string }
  | { kind: 'payments'; file: string }
  | { kind: 'export'; file: string }
  /** The zip of a bill run's invoice PDFs, written to `file` (pdfs.ts). */
  | { kind: 'pdfs'; run: number; file: string }
  | {
      kind: 'slack';
      signingSecret: string;
      apiUrl: string;
      /** The bill run this process starts on "go"; none: the app alone, answering until "stop". */
      run?: { configuration: string; from: string; to: string };
      familiesPerBatch?: number;
      workers?: number;
    };

export interface Measured<T> {
  seconds: number;
  /** Peak resident set size of the child process, MB. */
  peakMb: number;
  result: T;
}

export interface BillResult {
  runId: number;
  status: string;
  preview: boolean;
  batches: number;
  totals: BillRunReport['totals'];
}

/** Messages of the `slack` task, child to parent. */
export type SlackChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'started'; at: number }
  | { type: 'done'; at: number; seconds: number; result: BillResult }
  | { type: 'error'; message: string };

/** Runs `task` in a child process and resolves with what it measured. */
export function runChild<T>(task: Exclude<ChildTask, { kind: 'slack' }>, databaseUrl: string): Promise<Measured<T>> {
  return new Promise((resolve, reject) => {
    const child = forkChild(task, databaseUrl);
    let result: Measured<T> | undefined;
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('message', (m: any) => {
      if (m?.type === 'result') result = { seconds: m.seconds, peakMb: m.peakMb, result: m.result };
    });
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`The ${task.kind} step failed (exit code ${code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** Forks child.ts with tsx; the child inherits stdout, its stderr is piped for error reports. */
export function forkChild(task: ChildTask, databaseUrl: string) {
  return fork(path.join(__dirname, 'child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_TASK: JSON.stringify(task), BENCH_DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
}
