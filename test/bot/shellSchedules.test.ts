import { PassThrough } from 'node:stream';
import { createBilling } from '../../billing';
import { ManualClock } from '../../bot/scheduler';
import { createScheduling } from '../../bot/services';
import { runShell, type ShellScheduling } from '../../bot/shell';
import { useTestDatabase } from '../helpers/db';
import { createFamilies, scheduleCountsFrom } from '../scheduler/helpers';

const PROMPT = 'billbot> ';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Drives runShell through streams; `transcript()` is everything it wrote. */
function startShell(billing: ReturnType<typeof createBilling>, scheduling?: ShellScheduling) {
  const input = new PassThrough();
  const output = new PassThrough();
  let transcript = '';
  output.on('data', (chunk: Buffer) => {
    transcript += chunk.toString('utf8');
  });
  const finished = runShell({ input, output, services: { billing, log: silent }, user: 'local-ops', terminal: false, scheduling });
  const waitFor = async (text: string, from: number): Promise<string> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const at = transcript.indexOf(text, from);
      if (at >= 0) return transcript.slice(from, at);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; transcript:\n${transcript.slice(from)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    finished,
    transcript: () => transcript,
    ready: () => waitFor(PROMPT, 0),
    waitFor,
    type: async (line: string, until = PROMPT): Promise<string> => {
      const mark = transcript.length;
      input.write(`${line}\n`);
      return waitFor(until, mark);
    },
  };
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
        createScheduling({ db: t.db, log: silent }, { reporter, scheduler: { clock, pollIntervalMs: 0, sweepIntervalMs: 0, listen: false } }),
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
        (started = createScheduling({ db: t.db, log: silent }, { reporter, scheduler: { clock, pollIntervalMs: 0, sweepIntervalMs: 0, listen: false } })),
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
