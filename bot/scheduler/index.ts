/**
 * Scheduled and durable bill runs. What the faces call:
 *
 *   const scheduler = new Scheduler({ db, reporter: SlackRunReporter.withToken(token), workbook: invoicesWorkbook });
 *   await scheduler.start();                          // bot start-up: resume, catch up, schedule
 *   await scheduler.listSchedules();                  // /billing schedules
 *   await scheduler.pauseSchedule(name);              // /billing schedule pause <configuration>
 *   await scheduler.resumeSchedule(name);             // /billing schedule resume <configuration>
 *   await scheduler.runNow(name, { startedBy, preview, requestKey }); // /billing run <configuration> [preview]
 *   await scheduler.reload();                         // after a workbook import changed configurations
 *   await scheduler.stop();                           // shutdown
 */
export { Scheduler, runNowOptionsSchema } from './scheduler';
export type { SchedulerOptions, ScheduleView, RunNowResult, RunNowOptions } from './scheduler';
export { ManualClock, systemSchedulerClock } from './clock';
export type { SchedulerClock, TimerHandle } from './clock';
export { SlackRunReporter, runEndedMessage, runStartedMessage, runProgressMessage, runNotStartedMessage, runInterruptedMessage } from './reporter';
export type { RunReporter, RunView, PostedMessage, InvoicesWorkbookFile, RunNotStarted, RunInterrupted, SlackReporterOptions } from './reporter';
export type { InvoicesWorkbookSource } from './runReports';
export { invoicesWorkbook } from './workbook';
export { consoleSchedulerLogger, silentSchedulerLogger } from './logger';
export type { SchedulerLogger } from './logger';
export { formatLocalTime } from '../render/time';
