import { createBilling } from '../../billing';
import { billbot } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';
import { createFamilies, refuseChargesOf } from '../scheduler/helpers';

// Each case starts node (and tsx); on a busy machine that takes seconds.
jest.setTimeout(120_000);

describe('billbot schedules, schedule, run and status', () => {
  const t = useTestDatabase();
  const run = (...args: string[]) => billbot(t.url, args, { env: { LOG_LEVEL: 'error' } });

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await billing.createBillGroup('Fragile');
    await createFamilies(t.db, { prefix: 'Fragile', count: 2, group: 'Fragile', nextBillDate: '2026-10-07' });
    await billing.createConfiguration({ name: 'Fragile Run', billGroups: ['Fragile'], schedule: '0 6 1 * *', timeZone: 'Europe/London', reportChannel: '#billing' });
  });

  it('lists the schedules, and pauses and resumes one', async () => {
    const listed = await run('schedules', '--json');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(listed.stdout)).toMatchObject({
      kind: 'schedule.list',
      schedules: [{ configuration: 'Fragile Run', schedule: '0 6 1 * *', timeZone: 'Europe/London', paused: false, reportChannel: '#billing' }],
    });

    const paused = await run('schedule', 'pause', 'Fragile', 'Run');
    expect(paused).toMatchObject({ code: 0, stderr: '' });
    expect(paused.stdout).toContain('The schedule of *Fragile Run* is paused');
    expect(await t.db('bill_run_configurations').where('name', 'Fragile Run').first('paused')).toEqual({ paused: true });
    expect((await run('schedules')).stdout).toContain('• *Fragile Run* — `0 6 1 * *` in Europe/London · *paused* · reported in #billing · not run yet');

    const resumed = await run('schedule', 'resume', 'Fragile Run');
    expect(resumed.stdout).toContain('The schedule of *Fragile Run* is resumed');
    expect(await t.db('bill_run_configurations').where('name', 'Fragile Run').first('paused')).toEqual({ paused: false });

    const wrong = await run('schedule', 'stop', 'Fragile Run');
    expect(wrong).toEqual({ code: 2, stdout: '', stderr: 'Say pause or resume, not "stop"; usage: billbot schedule pause|resume <configuration>.\n' });
  });

  it('previews and runs a configuration, shows a failed run and resumes it to the end', async () => {
    const preview = await run('run', 'Fragile Run', '--from', '2026-10-01', '--to', '2026-10-31', '--preview', '--json');
    expect(preview).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(preview.stdout).report).toMatchObject({ preview: true, totals: { invoicesCreated: 2 } });
    expect(Number((await t.db('bill_runs').count('* as n').first())?.n)).toBe(0);

    const fixFault = await refuseChargesOf(t.db, 'Fragile 02 Child');
    const failed = await run('run', 'Fragile Run', '--from', '2026-10-01', '--to', '2026-10-31');
    expect(failed.code).toBe(1); // the run failed, though its report is shown
    const runId = Number(/Bill run #(\d+) failed/.exec(failed.stdout)?.[1]);
    expect(runId).toBeGreaterThan(0);
    expect(failed.stdout).toContain('The run failed:* the ledger refused the charge');
    // The configuration has a channel: its report waits there for the Slack app to post it.
    expect(await t.db('bill_run_reports').where('bill_run_id', runId).first('destination', 'final_status')).toEqual({ destination: '#billing', final_status: null });

    const status = await run('status', String(runId));
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('*Batches:* 0 of 1 done'); // one batch: the CLI's default batch size
    expect(status.stdout).toContain(`*Not done:* 1 batch (4 accounts not billed yet). Resuming bills only those; nothing done is billed twice: \`billbot status ${runId} --resume\``);

    await fixFault();
    const resumed = await run('status', String(runId), '--resume', '--json');
    expect(resumed).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      kind: 'bill.status',
      report: { run: { id: runId, status: 'completed', batchesDone: 1, batchesTotal: 1 }, totals: { invoicesCreated: 2 } },
      remaining: { batches: 0, accounts: 0 },
      resumable: false,
      resumeWith: null,
    });
    const again = await run('status', String(runId), '--resume');
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: `Bill run #${runId} has already completed; there is nothing to resume.\n` });
  });
});
