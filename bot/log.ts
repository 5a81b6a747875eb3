import { format } from 'node:util';
import type { Logger as BoltLogger } from '@slack/bolt';
import type { LogLevel } from './config';

/** The logging methods billbot uses; Bolt's logger fits, so the Slack app can pass its own. */
export type Logger = Pick<BoltLogger, 'debug' | 'info' | 'warn' | 'error'>;

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Writes log lines at or above `level` to stderr (never stdout: the CLI's output stays clean). */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at = LEVELS.indexOf(level);
  const make = (l: LogLevel) => (...msg: unknown[]) => {
    if (LEVELS.indexOf(l) >= at) write(`${new Date().toISOString()} ${l.toUpperCase()} ${format(...msg)}\n`);
  };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}
