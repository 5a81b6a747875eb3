import os from 'node:os';
import { loadWorkedExample } from '../commands/demo';
import { errorOutcome, executeCommand, Outcome } from '../commands/execute';
import { entryOf } from '../commands/table';
import { ConfigError, loadConfig } from '../config';
import { blocksToText, renderBlocks } from '../render';
import { createScheduling, openServices, Services, withHandlers } from '../services';
import { CliIo, EXIT_OK, EXIT_REFUSED, Job, sentence } from './io';

/** The CLI's second half: opens the database, runs one checked job, prints its outcome. */

function osUser(): string {
  try {
    return os.userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}

/** A job that moves few rows: the embedded server starts with PostgreSQL's default shared buffers, in half the time. */
function isBrief(job: Job): boolean {
  return job.kind !== 'command' || entryOf(job.command).bulk !== true;
}

/** Runs a job whose arguments were checked; resolves to the exit code. */
export async function runJob(job: Job, asJson: boolean, io: CliIo): Promise<number> {
  let services: Services;
  try {
    const config = loadConfig(io.env);
    services = await openServices(io.env, { config, brief: isBrief(job) });
  } catch (e) {
    io.stderr(e instanceof ConfigError ? `${sentence(e.message)}\n` : `Could not open the database: ${sentence((e as Error).message)}\n`);
    return EXIT_REFUSED;
  }
  // Ctrl-C: stop the embedded database before leaving (a transaction in flight rolls back).
  const onSignal = () => {
    void services.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const actor = services.config.cliUser ?? osUser();
    let outcome: Outcome;
    switch (job.kind) {
      case 'migrate':
        outcome = {
          kind: 'notice',
          title: null,
          text: services.migrated.length
            ? `The database schema is up to date: applied ${services.migrated.length} migration(s).`
            : 'The database schema was already up to date.',
        };
        break;
      case 'demo':
        outcome = await loadWorkedExample(services.billing, services.log);
        break;
      case 'command': {
        // Runs go through a scheduler that is never started (no timers): the CLI waits for them
        // to end, and the Slack app posts the reports of configurations that have a channel.
        const scheduling = createScheduling(services, {
          reporter: null,
          waitForRuns: true,
          reportChannel: () => null,
          resumeCommand: (runId) => `billbot status ${runId} --resume`,
        });
        try {
          // Workbooks are read and written relative to the working directory. An import that
          // changes schedules reaches a running bot through the database (its scheduler LISTENs).
          // exceljs is loaded by the command table only for workbook commands.
          const handlers = { ...scheduling.handlers, workbooks: { billing: services.billing }, documents: { company: services.config.company } };
          outcome = await executeCommand({ ...withHandlers(services, handlers), face: { name: 'cli' } }, job.command, { actor, channel: 'cli' });
        } finally {
          await scheduling.scheduler.stop({ wait: true });
        }
        break;
      }
    }
    const code = print(io, outcome, asJson);
    // A run that ended failed is a failure, even though its report was shown.
    const ranRun = job.kind === 'command' && entryOf(job.command).failsWithRun === true;
    const runFailed =
      (outcome.kind === 'bill.report' && !outcome.report.preview && outcome.report.run.status === 'failed') ||
      (ranRun && outcome.kind === 'bill.status' && outcome.report.run.status === 'failed');
    return runFailed ? EXIT_REFUSED : code;
  } catch (e) {
    return print(io, errorOutcome(e, services.log), asJson);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await services.stop();
  }
}

function print(io: CliIo, outcome: Outcome, asJson: boolean): number {
  if (outcome.kind === 'error') {
    io.stderr(`${sentence(outcome.message)}\n`);
    return EXIT_REFUSED;
  }
  io.stdout(asJson ? `${JSON.stringify(outcome, null, 2)}\n` : `${blocksToText(renderBlocks(outcome).blocks)}\n`);
  // A workbook with problems is refused (nothing was imported), though its report was shown.
  if (outcome.kind === 'workbook.import' && outcome.result.totalProblems > 0) return EXIT_REFUSED;
  return EXIT_OK;
}

