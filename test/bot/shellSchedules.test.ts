import { createBilling } from '../../billing';
import { ManualClock } from '../../bot/scheduler';
import { createScheduling } from '../../bot/services';
import type { ShellScheduling } from '../../bot/shell';
import { useTestDatabase } from '../helpers/db';
import { driveShell } from '../helpers/shell';
import { createFamilies, scheduleCountsFrom } from '../scheduler/helpers';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function startShell(billing: ReturnType<typeof createBilling>, scheduling?: ShellScheduling) {
  return driveShell({ services: { billing, log: silent }, user: 'local-ops', scheduling });
}

describe('the local shell with scheduled bill runs', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await createFamilies(t.db, { prefix: 'Shell', count: 1, nextBillDate: '2026-10-01' });
    await billing.createConfiguration({ name: 'Shell Monthly', schedule: '0 6 1 * *', reportChannel: '#billing' });
    await scheduleCountsFrom(t.db, 'Shell Monthly', '2026-09-30T00:00:00Z');
    await billing.createBillGroup('Manual');
    await createFamilies(t.db, { prefix: 'Manual', count: 1, group: 'Manual', nextBillDate: '2026-10-05' });
    await billing.createConfiguration({ name: 'By Hand', billGroups: ['Manual'] });
  });

  it('runs a configuration now and prints its report in the shell, then waits for it before saying goodbye', async () => {
    const clock = new ManualClock('2026-10-10T09:00:00Z');
    const shell = startShell(createBilling(t.db, clock), {
      create: (reporter) =>
        createScheduling({ billing: createBilling(t.db), log: silent }, { reporter, scheduler: { clock, pollIntervalMs: 0, sweepIntervalMs: 0, listen: false } }),
    });
    await shell.ready();
    expect(clock.pending()).toEqual([]); // not started: no timers

    const scheduled = await shell.type('/billing run By Hand');
    const runId = Number(/Bill run #(\d+) scheduled: billing the bill groups of By Hand\. It is reported here\./.exec(scheduled)?.[1]);
    expect(runId).toBeGreaterThan(0);
    await shell.waitFor(`[report] ✓ Completed bill run #${runId} of *By Hand*.`, 0);
    expect(shell.transcript()).toContain(`[report] … Started bill run #${runId} of *By Hand*.\n  Billing period 2026-10-01 to 2026-10-31.\n  Started by local-ops.`);

    const status = await shell.type(`/bill status ${runId}`);
    expect(status).toContain(`Bill run #${runId} completed`);
    expect(status).toContain('*Batches:* 1 of 1 done');

    expect(await shell.type('/billing schedules')).toContain('• *Shell Monthly* — `0 6 1 * *` in UTC · next run 2026-11-01 06:00 · reported in #billing · not run yet');
    expect(await shell.type('/billing schedule pause Shell Monthly')).toContain('The schedule of *Shell Monthly* is paused');
    expect(await shell.type('/billing schedule resume Shell Monthly')).toContain('The schedule of *Shell Monthly* is resumed');

    await shell.type('/exit', 'Bye.');
    await shell.finished;
    expect(await t.db('bill_runs').where('id', runId).first('status')).toEqual({ status: 'completed' });
  });

  it('started, fires the schedules and reports the scheduled runs in the shell', async () => {
    const clock = new ManualClock('2026-11-01T05:59:00Z');
    let started: ReturnType<typeof createScheduling> | null = null;
    const shell = startShell(createBilling(t.db, clock), {
      create: (reporter) =>
        (started = createScheduling({ billing: createBilling(t.db), log: silent }, { reporter, scheduler: { clock, pollIntervalMs: 0, sweepIntervalMs: 0, listen: false } })),
      start: true,
    });
    await shell.ready();
    expect(clock.pending()).toEqual([new Date('2026-11-01T06:00:00Z')]);
    await clock.advanceTo('2026-11-01T06:00:00Z');
    await started!.scheduler.idle();
    const run = await t.db('bill_runs').where('started_by', 'schedule').first();
    expect(run.status).toBe('completed');
    await shell.waitFor(`[report in #billing] ✓ Completed bill run #${run.id} of *Shell Monthly*.`, 0);
    expect(shell.transcript()).toContain('  Scheduled for 2026-11-01 06:00 (UTC).');
    await shell.type('/exit', 'Bye.');
    await shell.finished;
    expect(clock.pending()).toEqual([]); // stopped with the shell
  });
});
