/**
 * Scheduled and durable bill runs. What the faces call:
 *
 *   const scheduler = new Scheduler({ billing, reporter, workbook: invoicesWorkbook }); // reporter: bot/slack's or bot/shell's
 *   await scheduler.start();                          // bot start-up: resume, catch up, schedule
 *   await scheduler.listSchedules();                  // /billing schedules
 *   await scheduler.pauseSchedule(name);              // /billing schedule pause <configuration>
 *   await scheduler.resumeSchedule(name);             // /billing schedule resume <configuration>
 *   await scheduler.runNow(name, { startedBy, preview, requestKey }); // /billing run <configuration> [preview]
 *   await scheduler.reload();                         // after a workbook import changed configurations
 *   await scheduler.stop();                           // shutdown
 */
export { Scheduler } from './scheduler';
export type { SchedulerOptions } from './scheduler';
export { runNowOptionsSchema } from './runNow';
export type { RunNowResult, RunNowOptions } from './runNow';
export type { ScheduleView } from '../render/schedules';
export { ManualClock, systemSchedulerClock } from './clock';
export type { SchedulerClock, TimerHandle } from './clock';
export { SHELL_CHANNEL } from './reporter';
export type { RunReporter, PostedMessage, InvoicesWorkbookFile } from './reporter';
export type { InvoicesWorkbookSource } from './runReports';
export { invoicesWorkbook } from './workbook';
export { runHistoryChartSource, REPORT_CHART_RUNS } from './chart';
export type { RunChartSource } from './chart';
export { consoleSchedulerLogger, silentSchedulerLogger } from './logger';
export type { SchedulerLogger } from './logger';
