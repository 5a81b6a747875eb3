import { createBilling } from '../../billing';
import { invoicesWorkbook as workbook, ManualClock } from '../../bot/scheduler';
import { useTestDatabase } from '../helpers/db';
import {
  createFamilies,
  fakeSlackApi,
  scheduleCountsFrom,
  sheetRows,
  SLACK_CHANNEL_ID,
  stopSchedulers,
  testScheduler,
  uploadedFile,
  refuseChargesOf,
  reportBlocks,
} from './helpers';

/** 2026-10-01 06:00 UTC as Slack shows it: in each reader's own time zone, the schedule's as the fallback. */
const SCHEDULED_FOR = '<!date^1790834400^{date_short} {time}|2026-10-01 06:00 (UTC)>';

describe('channel reports of bill runs', () => {
  const t = useTestDatabase();
  let slack: ReturnType<typeof fakeSlackApi>;

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await billing.loadDemo(); // Parent Co / Child Co ($140.00 monthly, due 2026-09-15), invoices from #18
    // September by hand: #18 issues a $50.00 credit, which is then reversed (pending until the next bill).
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '50.00', detail: 'Outage', createdBy: 'U_FIN' });
    await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50.00', actor: 'U_FIN' });
    await billing.reverseCredit(credit.id, 'U_FIN'); // +$50.00 on the next invoice
    await billing.addCredit({ account: 'Parent Co', amount: '20.00', detail: 'Goodwill', createdBy: 'U_FIN', autoDisburse: true });
    await createFamilies(t.db, { prefix: 'Tokyo', count: 1, currency: 'JPY', nextBillDate: '2026-10-03' });
    await createFamilies(t.db, { prefix: 'Later', count: 1, nextBillDate: '2026-11-20' });
    await billing.createConfiguration({ name: 'October <Run>', schedule: '0 6 1 * *', timeZone: 'UTC', reportChannel: '#billing' });
    await scheduleCountsFrom(t.db, 'October <Run>', '2026-09-30T00:00:00Z');

    await billing.createBillGroup('Fragile');
    await createFamilies(t.db, { prefix: 'Fragile', count: 3, group: 'Fragile', nextBillDate: '2026-10-07' });
    await billing.createConfiguration({ name: 'Fragile Run', billGroups: ['Fragile'], reportChannel: 'C0FRAGILE' });
  });
  beforeEach(() => {
    slack = fakeSlackApi();
  });
  afterEach(async () => {
    await stopSchedulers();
    slack.done();
  });

  it('posts one message when a run starts, shows its totals when it ends and attaches its invoices workbook', async () => {
    const clock = new ManualClock('2026-10-01T05:59:00Z');
    const scheduler = testScheduler(t.db, clock, { reporter: slack.reporter(), workbook });
    await scheduler.start();
    await clock.advanceTo('2026-10-01T06:00:00Z');
    await scheduler.idle();
    const run = await t.db('bill_runs').where('started_by', 'schedule').first();
    expect(run.status).toBe('completed');

    const posts = slack.of('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0].body.channel).toBe('#billing');
    // The text is the one-line summary; the blocks hold the details.
    expect(posts[0].body.text).toBe(`Bill run #${run.id} started: October &lt;Run&gt;, 2026-10-01 to 2026-10-31: 0 of 1 batch done, 0 accounts billed so far.`);
    expect(reportBlocks(posts[0].body)).toBe(
      [
        `:hourglass_flowing_sand: Started bill run #${run.id} of *October &lt;Run&gt;*.`,
        'Billing period 2026-10-01 to 2026-10-31.',
        `Scheduled for ${SCHEDULED_FOR}.`,
        'Progress: 0 of 1 batch done · 0 accounts billed so far.',
      ].join('\n'),
    );
    expect(JSON.parse(posts[0].body.blocks).map((b: { type: string }) => b.type)).toEqual(['section', 'section']);

    const [skipped] = (await createBilling(t.db).getBillRunReport(run.id)).skipped;
    const updates = slack.of('chat.update');
    const end = updates.at(-1)!;
    expect(end.body).toMatchObject({ channel: SLACK_CHANNEL_ID, ts: '1790000000.000001' });
    expect(end.body.text).toBe(
      `Bill run #${run.id} completed: October &lt;Run&gt;, 2026-10-01 to 2026-10-31: 2 invoices (INV-000019, INV-000020), total ¥14,000 + $190.00, 2 accounts billed, 1 skipped.`,
    );
    expect(reportBlocks(end.body)).toBe(
      [
        `:white_check_mark: Completed bill run #${run.id} of *October &lt;Run&gt;*.`,
        'Billing period 2026-10-01 to 2026-10-31.',
        `Scheduled for ${SCHEDULED_FOR}.`,
        'Accounts billed: 2 · packages billed: 2 · charges: 4',
        'Invoices created: 2 · amount invoiced: ¥14,000 JPY, $190.00 USD',
        '• *INV-000019* to *Parent Co*: total $190.00, balance $190.00 (open)',
        '• *INV-000020* to *Tokyo 01*: total ¥14,000, balance ¥14,000 (open)',
        'Credits issued: 1 · credits disbursed: 1 · reversals applied: 1',
        'Packages skipped: 1 (not due 1)',
        `• Later 01 Child – Later Plan: ${skipped.message}`,
      ].join('\n'),
    );
    expect(skipped.message).toContain('2026-11-20');

    // The workbook: upload URL asked for by name and size, the bytes uploaded, completed into the message's thread.
    const [ask] = slack.of('files.getUploadURLExternal');
    expect(ask.body).toMatchObject({ filename: `bill-run-${run.id}-invoices.xlsx` });
    expect(slack.uploads).toHaveLength(1);
    const file = uploadedFile(slack.uploads[0]);
    expect(Number(ask.body.length)).toBe(file.length);
    const invoices = await sheetRows(file, 'Invoices');
    expect(invoices.slice(1).map((row) => [row[0], row[1], row[5]])).toEqual([
      ['INV-000019', 'Parent Co', 'USD'],
      ['INV-000020', 'Tokyo 01', 'JPY'],
    ]);
    expect((await sheetRows(file, 'Transactions')).slice(1).map((row) => [row[0], row[1], row[2]])).toEqual([
      ['INV-000019', 'Child Co', 'charge'],
      ['INV-000019', 'Child Co', 'charge'],
      ['INV-000019', 'Parent Co', 'reversed credit'],
      ['INV-000020', 'Tokyo 01 Child', 'charge'],
      ['INV-000020', 'Tokyo 01 Child', 'charge'],
    ]);
    const [complete] = slack.of('files.completeUploadExternal');
    expect(complete.body).toMatchObject({ channel_id: SLACK_CHANNEL_ID, thread_ts: '1790000000.000001' });
    expect(JSON.parse(complete.body.files)).toEqual([
      { id: expect.any(String), title: `Invoices of bill run #${run.id} (October <Run>, 2026-10-01 to 2026-10-31)` },
    ]);
    expect(await t.db('bill_run_reports').where('bill_run_id', run.id).first()).toMatchObject({
      destination: '#billing',
      destination_id: SLACK_CHANNEL_ID,
      message_id: '1790000000.000001',
      final_status: 'completed',
      workbook_posted_at: expect.any(Date),
    });
    expect(slack.unmatched).toEqual([]);
  });

  it('reports a failure with what was done and what was not, and the resumed run in the same message', async () => {
    // A fault in the database itself: charges for Fragile 02 Child are refused.
    const fixFault = await refuseChargesOf(t.db, 'Fragile 02 Child');
    const clock = new ManualClock('2026-10-10T09:00:00Z');
    // One batch at a time, so that the failure comes after exactly one.
    const scheduler = testScheduler(t.db, clock, { reporter: slack.reporter(), workbook, familiesPerBatch: 1, workers: 1 });
    const started = await scheduler.runNow('fragile run', { startedBy: 'U_FIN' });
    if (started.preview) throw new Error('expected a run');
    const failed = await started.finished;
    expect(failed.run).toMatchObject({ status: 'failed', batchesDone: 1, batchesTotal: 3 });

    const [post] = slack.of('chat.postMessage');
    expect(post.body.channel).toBe('C0FRAGILE');
    expect(post.body.text).toMatch(new RegExp(`^Bill run #${started.runId} started: Fragile Run, [\\d-]+ to [\\d-]+: 0 of 3 batches done, 0 accounts billed so far\\.$`));
    expect(reportBlocks(post.body)).toContain('Started by U_FIN.');
    const failure = slack.of('chat.update').at(-1)!;
    expect(failure.body.text).toMatch(
      new RegExp(`^Bill run #${started.runId} failed: Fragile Run, [\\d-]+ to [\\d-]+: 1 invoice \\(INV-\\d+\\), total \\$140\\.00, 1 account billed, 0 skipped; it failed: the ledger refused the charge\\.$`),
    );
    expect(reportBlocks(failure.body).split('\n')[0]).toBe(
      `:x: Failed bill run #${started.runId} of *Fragile Run*: the ledger refused the charge`,
    );
    expect(reportBlocks(failure.body)).toContain('Done: 1 of 3 batches, with these results:');
    expect(reportBlocks(failure.body)).toContain('Accounts billed: 1 ·');
    expect(reportBlocks(failure.body)).toContain('Invoices created: 1 · amount invoiced: $140.00 USD');
    expect(reportBlocks(failure.body)).toContain(
      `Not done: 2 batches (4 accounts not billed yet). Resuming run #${started.runId} bills only those; nothing done is billed twice.`,
    );
    expect(slack.of('files.getUploadURLExternal')).toEqual([]); // no workbook for a failed run

    // Fixed and resumed: the same message now shows the completed run, and the workbook follows.
    await fixFault();
    const resumed = await scheduler.resumeRun(started.runId);
    expect((await resumed.finished).run.status).toBe('completed');
    expect(slack.of('chat.postMessage')).toHaveLength(1);
    const end = slack.of('chat.update').at(-1)!;
    expect(end.body).toMatchObject({ channel: SLACK_CHANNEL_ID, ts: '1790000000.000001' });
    expect(end.body.text).toMatch(new RegExp(`^Bill run #${started.runId} completed: Fragile Run, .*: 3 invoices \\(INV-\\d+, INV-\\d+, INV-\\d+\\), total \\$420\\.00, 3 accounts billed, 0 skipped\\.$`));
    expect(reportBlocks(end.body)).toContain(`Completed bill run #${started.runId} of *Fragile Run*`);
    expect(reportBlocks(end.body)).toContain('Accounts billed: 3 ·');
    expect(reportBlocks(end.body)).toContain('Invoices created: 3 · amount invoiced: $420.00 USD');
    expect(slack.of('files.completeUploadExternal')).toHaveLength(1);
    await expect(scheduler.resumeRun(started.runId)).rejects.toThrow(`Bill run #${started.runId} has already completed.`);
  });

  it('previews a configuration without running, recording or posting anything', async () => {
    const scheduler = testScheduler(t.db, new ManualClock('2026-10-20T09:00:00Z'), { reporter: slack.reporter() });
    const runsBefore = await t.db('bill_runs').count('* as n').first();
    const preview = await scheduler.runNow('Fragile Run', { startedBy: 'U_FIN', preview: true });
    expect(preview.preview).toBe(true);
    if (!preview.preview) throw new Error('expected a preview');
    expect(preview.report.run.periodStart).toBe('2026-10-01');
    const september = await scheduler.runNow('Fragile Run', { startedBy: 'U_FIN', preview: true, from: '2026-09-01', to: '2026-09-30' });
    expect(september.preview && september.report.run).toMatchObject({ periodStart: '2026-09-01', periodEnd: '2026-09-30' });
    await expect(scheduler.runNow('Fragile Run', { startedBy: 'U_FIN', from: '2026-09-01' })).rejects.toThrow(
      'Give both ends of the billing period',
    );
    expect(await t.db('bill_runs').count('* as n').first()).toEqual(runsBefore);
    expect(slack.calls).toEqual([]);
  });

  it("leaves the report of a run started in the local shell to the shell, and posts a Slack channel's", async () => {
    const billing = createBilling(t.db);
    await billing.createBillGroup('Quiet');
    await createFamilies(t.db, { prefix: 'Quiet', count: 2, group: 'Quiet', nextBillDate: '2026-10-09' });
    await billing.createConfiguration({ name: 'Quiet Run', billGroups: ['Quiet'] });
    // Two runs that finished without their report being posted (their processes stopped): one
    // started in the shell, reported "here"; one to be reported in a Slack channel.
    const inShell = await billing.bill({ configuration: 'Quiet Run', account: 'Quiet 01', from: '2026-10-01', to: '2026-10-31', startedBy: 'local-ops' });
    const inSlack = await billing.bill({ configuration: 'Quiet Run', account: 'Quiet 02', from: '2026-10-01', to: '2026-10-31', startedBy: 'U_FIN' });
    await t.db('bill_run_reports').insert([
      { bill_run_id: inShell.run.id, destination: 'shell' },
      { bill_run_id: inSlack.run.id, destination: 'C0QUIET' },
    ]);

    // A Slack instance starts and posts the reports that are due.
    const scheduler = testScheduler(t.db, new ManualClock('2026-10-10T09:00:00Z'), { reporter: slack.reporter() });
    await scheduler.start();
    await scheduler.idle();
    const posted = slack.of('chat.postMessage').map((p) => [p.body.channel, reportBlocks(p.body).split('\n')[0], p.body.text]);
    expect(posted).toContainEqual([
      'C0QUIET',
      `:white_check_mark: Completed bill run #${inSlack.run.id} of *Quiet Run* for Quiet 02.`,
      expect.stringMatching(new RegExp(`^Bill run #${inSlack.run.id} completed: Quiet 02 using Quiet Run, 2026-10-01 to 2026-10-31: 1 invoice \\(INV-\\d+\\), total \\$140\\.00, 1 account billed, 0 skipped\\.$`)),
    ]);
    expect(posted.filter(([channel]) => channel === 'shell')).toEqual([]);
    expect(await t.db('bill_run_reports').where('bill_run_id', inShell.run.id).first('final_status', 'message_id')).toEqual({
      final_status: null,
      message_id: null,
    });
  });
});
