import type { Logger } from '../log';

/** Where the scheduler says what it did. Messages never contain tokens or connection strings. */
export type SchedulerLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export const consoleSchedulerLogger: SchedulerLogger = {
  info: (m) => console.log(`[scheduler] ${m}`),
  warn: (m) => console.warn(`[scheduler] ${m}`),
  error: (m) => console.error(`[scheduler] ${m}`),
};

export const silentSchedulerLogger: SchedulerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
