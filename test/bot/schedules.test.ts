import { createBilling } from '../../billing';
import { parseCommand, USAGE } from '../../bot/commands';
import { executeCommand, type CommandContext, type Outcome } from '../../bot/commands/execute';
import { blocksToText, renderBlocks } from '../../bot/render';
import { ManualClock } from '../../bot/scheduler';
import { createScheduling, withHandlers, type Scheduling } from '../../bot/services';
import { TextRunReporter } from '../../bot/shell/runReporter';
import { useTestDatabase } from '../helpers/db';
import { chargeCounts, createFamilies, scheduleCountsFrom, refuseChargesOf } from '../scheduler/helpers';

/**
 * The schedule and run-status commands through the real parser and executor, with a
 * scheduler on a manual clock over the test database, reporting as text lines.
 */

const HERE = 'C0HERE';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

type Kind = Outcome['kind'];
function expectKind<K extends Kind>(outcome: Outcome, kind: K): Extract<Outcome, { kind: K }> {
  if (outcome.kind !== kind) throw new Error(`expected a ${kind} outcome, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<Outcome, { kind: K }>;
}

const text = (outcome: Outcome) => blocksToText(renderBlocks(outcome).blocks);

describe('schedules and bill runs through the commands', () => {
  const t = useTestDatabase();
  let clock: ManualClock;
  let scheduling: Scheduling;
  let reports: string[];

  function exec(slash: '/bill' | '/billing', line: string, ctx: Partial<CommandContext> = {}): Promise<Outcome> {
    const services = withHandlers({ billing: createBilling(t.db, clock), log: silent }, scheduling.handlers);
    return executeCommand(services, parseCommand(slash, line), { actor: 'U_OPS', channel: HERE, ...ctx });
  }

  async function countOf(table: string): Promise<number> {
    const row = await t.db(table).count('* as n').first();
    return Number(row?.n);
  }

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await createFamilies(t.db, { prefix: 'Monthly', count: 2, nextBillDate: '2026-10-01' });
    await billing.createConfiguration({ name: 'Monthly Run', schedule: '0 6 1 * *', timeZone: 'UTC', reportChannel: '#billing' });
    await scheduleCountsFrom(t.db, 'Monthly Run', '2026-09-30T00:00:00Z');
    await billing.createConfiguration({ name: 'Broken Clock', schedule: '61 * * * *', billGroups: ['Default'] });

    await billing.createBillGroup('Manual');
    await createFamilies(t.db, { prefix: 'Manual', count: 1, group: 'Manual', nextBillDate: '2026-10-05' });
    await billing.createConfiguration({ name: 'By Hand', billGroups: ['Manual'] });

    await billing.createBillGroup('Fragile');
    await createFamilies(t.db, { prefix: 'Fragile', count: 3, group: 'Fragile', nextBillDate: '2026-10-07' });
    await billing.createConfiguration({ name: 'Fragile Run', billGroups: ['Fragile'], reportChannel: 'C0FRAGILE' });
  });

  beforeEach(() => {
    clock = new ManualClock('2026-10-01T05:00:00Z');
    reports = [];
    scheduling = createScheduling(
      { billing: createBilling(t.db), log: silent },
      {
        reporter: new TextRunReporter((line) => reports.push(line), HERE),
        // One batch at a time: the failed-run test counts the batches done before the failure.
        scheduler: { clock, pollIntervalMs: 0, sweepIntervalMs: 0, progressIntervalMs: 0, listen: false, familiesPerBatch: 1, workers: 1 },
      },
    );
  });
  afterEach(async () => {
    await scheduling.scheduler.stop({ wait: true });
  });

  it('lists each scheduled configuration with its next run time, and its last run once it has run', async () => {
    const listed = expectKind(await exec('/billing', 'schedules'), 'schedule.list');
    expect(listed.schedules).toEqual([
      expect.objectContaining({ configuration: 'Broken Clock', nextRunAt: null, problem: expect.stringContaining('"61 * * * *" is not a cron schedule') }),
      expect.objectContaining({
        configuration: 'Monthly Run',
        schedule: '0 6 1 * *',
        timeZone: 'UTC',
        paused: false,
        reportChannel: '#billing',
        nextRunAt: new Date('2026-10-01T06:00:00Z'),
        problem: null,
        lastRun: null,
      }),
    ]);
    const shown = text(listed);
    expect(shown).toContain('2 scheduled configurations, 1 problem');
    expect(shown).toContain('• *Monthly Run* — `0 6 1 * *` in UTC · next run 2026-10-01 06:00 · reported in #billing · not run yet');
    expect(shown).toContain('• *Broken Clock* — `61 * * * *` in UTC · :warning: not scheduled: "61 * * * *" is not a cron schedule in UTC');

    // Started, it fires at 06:00 and reports in the configuration's channel.
    await scheduling.scheduler.start();
    await clock.advanceTo('2026-10-01T06:00:00Z');
    await scheduling.scheduler.idle();
    const run = await t.db('bill_runs').where('started_by', 'schedule').first();
    expect(run.status).toBe('completed');
    expect(reports.some((r) => r.startsWith(`[report in #billing] ✓ Completed bill run #${run.id} of *Monthly Run*.`))).toBe(true);

    const after = expectKind(await exec('/billing', 'schedules'), 'schedule.list');
    expect(after.schedules[1]).toMatchObject({
      configuration: 'Monthly Run',
      nextRunAt: new Date('2026-11-01T06:00:00Z'),
      lastRun: { runId: run.id, status: 'completed', late: false, scheduledFor: new Date('2026-10-01T06:00:00Z') },
    });
    expect(text(after)).toContain(`next run 2026-11-01 06:00 · reported in #billing · last run #${run.id} completed (scheduled for 2026-10-01 06:00 (UTC))`);
  });

  it('pauses and resumes a schedule through the running scheduler, without a restart', async () => {
    clock = new ManualClock('2026-10-15T00:00:00Z');
    scheduling = createScheduling(
      { billing: createBilling(t.db), log: silent },
      { reporter: null, scheduler: { clock, pollIntervalMs: 0, sweepIntervalMs: 0, listen: false } },
    );
    await scheduling.scheduler.start();
    expect(clock.pending()).toEqual([new Date('2026-11-01T06:00:00Z')]);
    const firesBefore = await countOf('scheduled_fires');

    const paused = expectKind(await exec('/billing', 'schedule pause monthly run'), 'schedule.changed');
    expect(paused).toMatchObject({ action: 'pause', changed: true, schedule: { configuration: 'Monthly Run', paused: true, nextRunAt: null } });
    expect(text(paused)).toContain('The schedule of *Monthly Run* is paused: it does not run until it is resumed (`/billing schedule resume Monthly Run`).');
    expect(clock.pending()).toEqual([]); // the running scheduler dropped its timer at once
    expect(expectKind(await exec('/billing', 'schedules'), 'schedule.list').schedules[1]).toMatchObject({ paused: true, nextRunAt: null });
    expect(text(await exec('/billing', 'schedules'))).toContain('• *Monthly Run* — `0 6 1 * *` in UTC · *paused* ·');

    const again = expectKind(await exec('/billing', 'schedule "Monthly Run" pause'), 'schedule.changed');
    expect(again.changed).toBe(false);
    expect(text(again)).toContain('The schedule of *Monthly Run* was already paused; nothing changed.');

    // 1 November passes while paused: nothing fires, and resuming does not catch it up.
    await clock.advanceTo('2026-11-01T07:00:00Z');
    await scheduling.scheduler.idle();
    const resumed = expectKind(await exec('/billing', 'schedule resume Monthly Run'), 'schedule.changed');
    expect(resumed).toMatchObject({ action: 'resume', changed: true, schedule: { paused: false, nextRunAt: new Date('2026-12-01T06:00:00Z') } });
    expect(text(resumed)).toContain(
      'The schedule of *Monthly Run* is resumed; the runs missed while it was paused are not caught up. Next run: 2026-12-01 06:00 (UTC).',
    );
    await scheduling.scheduler.idle();
    expect(await countOf('scheduled_fires')).toBe(firesBefore);
    expect(clock.pending()).toEqual([new Date('2026-12-01T06:00:00Z')]);

    await clock.advanceTo('2026-12-01T06:00:00Z');
    await scheduling.scheduler.idle();
    expect(await countOf('scheduled_fires')).toBe(firesBefore + 1);
  });

  it('refuses to pause what it does not know or what has no schedule, in one sentence', async () => {
    expect(await exec('/billing', 'schedule pause Nightly')).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('"Nightly"'),
    });
    expect(await exec('/billing', 'schedule pause By Hand')).toMatchObject({
      kind: 'error',
      code: 'no_schedule',
      message: 'Configuration "By Hand" has no schedule; give it a cron schedule to run it on a timetable.',
    });
  });

  it('previews a configuration writing nothing, and runs it for real reported in its channel, once per request', async () => {
    const before = { runs: await countOf('bill_runs'), invoices: await countOf('invoices'), reports: await countOf('bill_run_reports') };
    const preview = expectKind(await exec('/billing', 'run Fragile Run preview'), 'bill.report');
    expect(preview.report.preview).toBe(true);
    expect(preview.report.invoices).toHaveLength(3);
    expect({ runs: await countOf('bill_runs'), invoices: await countOf('invoices'), reports: await countOf('bill_run_reports') }).toEqual(before);
    expect(reports).toEqual([]);

    const started = expectKind(await exec('/billing', 'run fragile run', { requestKey: 'test:run:1' }), 'bill.started');
    expect(started).toMatchObject({ created: true, billing: 'the bill groups of Fragile Run', reportChannel: 'C0FRAGILE', here: false });
    expect(text(started)).toBe(`Bill run #${started.runId} scheduled: billing the bill groups of Fragile Run. It is reported in #C0FRAGILE.`);
    expect(renderBlocks(started).text).toContain('It is reported in <#C0FRAGILE>.');
    await scheduling.scheduler.idle();
    const run = await t.db('bill_runs').where('id', started.runId).first();
    expect(run).toMatchObject({ status: 'completed', started_by: 'U_OPS' });
    expect(await countOf('invoices')).toBe(before.invoices + 3);
    expect(reports[0]).toBe(`[report in C0FRAGILE] … Started bill run #${started.runId} of *Fragile Run*.\n  Billing period 2026-10-01 to 2026-10-31.\n  Started by U_OPS.\n  Progress: 0 of 3 batches done · 0 accounts billed so far.`);
    expect(reports.at(-1)).toContain(`[report in C0FRAGILE] ✓ Completed bill run #${started.runId} of *Fragile Run*.`);
    expect(reports.at(-1)).toContain('Invoices created: 3 · amount invoiced: $420.00 USD');

    // The same request again: not run twice.
    const repeated = expectKind(await exec('/billing', 'run Fragile Run', { requestKey: 'test:run:1' }), 'bill.started');
    expect(repeated).toMatchObject({ runId: started.runId, created: false });
    expect(text(repeated)).toBe(`This request already started bill run #${started.runId}, so it is not run again. \`/bill status ${started.runId}\` shows it.`);
    expect(await countOf('invoices')).toBe(before.invoices + 3);
  });

  it('reports a run of a configuration without a report channel where it was asked', async () => {
    const started = expectKind(await exec('/billing', 'run By Hand'), 'bill.started');
    expect(started).toMatchObject({ created: true, reportChannel: HERE, here: true });
    expect(text(started)).toBe(`Bill run #${started.runId} scheduled: billing the bill groups of By Hand. It is reported here.`);
    await scheduling.scheduler.idle();
    expect(reports.at(-1)).toContain(`[report] ✓ Completed bill run #${started.runId} of *By Hand*.`);

    // Asked from nowhere (the CLI): no report, and the status command says how it went.
    const cli = createScheduling({ billing: createBilling(t.db), log: silent }, { reporter: null, waitForRuns: true, reportChannel: () => null, scheduler: { clock, listen: false } });
    try {
      const services = withHandlers({ billing: createBilling(t.db, clock), log: silent }, cli.handlers);
      const done = expectKind(
        await executeCommand(services, parseCommand('/billing', 'run By Hand from 2026-11-01 to 2026-11-30'), { actor: 'cli-user', channel: 'cli' }),
        'bill.report',
      );
      expect(done.report.run).toMatchObject({ status: 'completed', periodStart: '2026-11-01', startedBy: 'cli-user' });
      expect(await t.db('bill_run_reports').where('bill_run_id', done.report.run.id).first()).toBeUndefined();
    } finally {
      await cli.scheduler.stop();
    }
  });

  it('shows a failed run with what it did not do, and resuming it finishes the run', async () => {
    const fixFault = await refuseChargesOf(t.db, 'Fragile 02 Child');
    const started = expectKind(await exec('/billing', 'run Fragile Run from 2026-11-01 to 2026-11-30'), 'bill.started');
    await scheduling.scheduler.idle();

    const failed = expectKind(await exec('/bill', `status ${started.runId}`), 'bill.status');
    expect(failed.report.run).toMatchObject({ status: 'failed', batchesDone: 1, batchesTotal: 3, error: 'the ledger refused the charge' });
    expect(failed.remaining).toEqual({ batches: 2, accounts: 4 });
    expect(failed.resumable).toBe(true);
    expect(failed.resumeWith).toBe(`/bill status ${started.runId} resume`);
    const shown = text(failed);
    expect(shown).toContain(`Bill run #${started.runId} failed\n=`);
    expect(shown).toContain('*Batches:* 1 of 3 done');
    expect(shown).toContain('*Period:* 2026-11-01 to 2026-11-30');
    expect(shown).toContain('*The run failed:* the ledger refused the charge');
    expect(shown).not.toContain('insert into'); // the SQL knex puts in front is not shown
    expect(shown).toContain(
      `*Not done:* 2 batches (4 accounts not billed yet). Resuming bills only those; nothing done is billed twice: \`/bill status ${started.runId} resume\``,
    );
    expect(shown).toContain('1 account billed');
    expect(reports.at(-1)).toContain(`[report in C0FRAGILE] ✗ Failed bill run #${started.runId} of *Fragile Run*: the ledger refused the charge`);

    await fixFault();
    const resuming = expectKind(await exec('/bill', `status #${started.runId} resume`), 'bill.resuming');
    expect(resuming).toMatchObject({ runId: started.runId, reportChannel: 'C0FRAGILE', here: false });
    expect(text(resuming)).toBe(
      `Resuming bill run #${started.runId}: only what it did not bill yet is billed; nothing done is billed twice. It is reported in #C0FRAGILE.`,
    );
    await scheduling.scheduler.idle();
    expect(reports.at(-1)).toContain(`[report in C0FRAGILE] ✓ Completed bill run #${started.runId} of *Fragile Run*.`);

    const done = expectKind(await exec('/bill', `status ${started.runId}`), 'bill.status');
    expect(done.report.run).toMatchObject({ status: 'completed', batchesDone: 3, batchesTotal: 3, error: null });
    expect(done).toMatchObject({ remaining: { batches: 0, accounts: 0 }, resumable: false, resumeWith: null });
    expect(text(done)).not.toContain('resume');
    const charges = await t.db('transactions as t')
      .join('accounts as a', 'a.id', 't.account_id')
      .where('t.kind', 'charge')
      .where('t.period_start', '>=', '2026-11-01')
      .whereLike('a.name', 'Fragile%')
      .count('* as n')
      .first();
    expect(Number(charges?.n)).toBe(6); // 3 accounts × 2 services in November
    expect((await chargeCounts(t.db)).filter((c) => c.n !== 1)).toEqual([]); // nothing billed twice

    expect(await exec('/bill', `status ${started.runId} resume`)).toMatchObject({
      kind: 'error',
      code: 'bill_run_state',
      message: `Bill run #${started.runId} has already completed; there is nothing to resume.`,
    });
    expect(await exec('/bill', 'status 999999')).toMatchObject({ kind: 'error', code: 'unknown_bill_run' });
  });

  it('reads the schedule and resume forms, and refuses the others with the right form', () => {
    expect(parseCommand('/billing', 'schedule pause Monthly Run')).toEqual({ kind: 'billing.schedule', action: 'pause', configuration: 'Monthly Run' });
    expect(parseCommand('/billing', 'schedule RESUME "Monthly Run"')).toEqual({ kind: 'billing.schedule', action: 'resume', configuration: 'Monthly Run' });
    expect(parseCommand('/billing', 'schedule "Pause Me" resume')).toEqual({ kind: 'billing.schedule', action: 'resume', configuration: 'Pause Me' });
    expect(parseCommand('/bill', 'status 12 resume')).toEqual({ kind: 'bill.resume', run: 12 });
    expect(parseCommand('/bill', 'status 12')).toEqual({ kind: 'bill.status', run: 12 });
    expect(() => parseCommand('/billing', 'schedule Monthly Run')).toThrow(
      `Say whether to pause or resume the schedule. Use: ${USAGE['billing.schedule']}`,
    );
    expect(() => parseCommand('/billing', 'schedule pause')).toThrow('Name the configuration whose schedule to pause.');
    expect(() => parseCommand('/billing', 'schedules now')).toThrow('"/billing schedules" takes nothing after it');
  });

  it('says the schedule commands are not available where no scheduler is plugged in', async () => {
    const billing = createBilling(t.db, clock);
    for (const [slash, line] of [['/billing', 'schedules'], ['/billing', 'schedule pause Monthly Run'], ['/bill', 'status 1 resume']] as const) {
      expect(await executeCommand({ billing }, parseCommand(slash, line), { actor: 'U_OPS' })).toMatchObject({ kind: 'error', code: 'not_available' });
    }
  });
});
