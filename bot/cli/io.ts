import type { Command as Program } from 'commander';
import type { Command, CommandInput } from '../commands/schema';

/** What the CLI's two halves share: its streams, its jobs, its exit codes and its sentences. */

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

/** What each group of CLI commands uses: the program, and how a command hands over its job. */
export interface Builder {
  program: Program;
  setJob: (job: Job, json: boolean) => void;
  json: (cmd: Program) => boolean;
  run: (cmd: Program, input: CommandInput, usage: string) => void;
}

export type Job = { kind: 'command'; command: Command } | { kind: 'migrate' } | { kind: 'demo' };

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

export function sentence(text: string): string {
  const t = text.trim().replace(/^error:\s*/i, '');
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
