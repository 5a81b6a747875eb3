import { PNG } from 'pngjs';
import { createBilling } from '../../billing';
import { invoicesWorkbook as workbook, ManualClock, runHistoryChartSource as chart } from '../../bot/scheduler';
import { useTestDatabase } from '../helpers/db';
import { createFamilies, fakeSlackApi, memoryLogger, SLACK_CHANNEL_ID, stopSchedulers, testScheduler, uploadedFile } from './helpers';

// The chart in a scheduled run's report (SlackRunReporter through the scheduler, as `npm start`
// wires it): the configuration's runs up to this one, after the invoices workbook, in the thread.
describe('the run history chart of scheduled run reports', () => {
  const t = useTestDatabase();
  let slack: ReturnType<typeof fakeSlackApi>;

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await billing.createBillGroup('Charted');
    await createFamilies(t.db, { prefix: 'Charted', count: 2, group: 'Charted', nextBillDate: '2026-09-01' });
    await billing.createConfiguration({ name: 'Charted Run', billGroups: ['Charted'], reportChannel: 'C0CHARTS' });
  });
  beforeEach(() => {
    slack = fakeSlackApi();
  });
  afterEach(async () => {
    await stopSchedulers();
    slack.done();
  });

  it('attaches the chart after the workbook, in the report thread, with its figures as alt text', async () => {
    const scheduler = testScheduler(t.db, new ManualClock('2026-09-02T09:00:00Z'), { reporter: slack.reporter(), workbook, chart });
    const september = await scheduler.runNow('Charted Run', { startedBy: 'U_FIN', from: '2026-09-01', to: '2026-09-30' });
    if (september.preview) throw new Error('expected a run');
    await september.finished;
    const october = await scheduler.runNow('Charted Run', { startedBy: 'U_FIN', from: '2026-10-01', to: '2026-10-31' });
    if (october.preview) throw new Error('expected a run');
    await october.finished;
    await scheduler.idle();

    const asked = slack.of('files.getUploadURLExternal').map((c) => c.body);
    expect(asked.map((a) => a.filename)).toEqual([
      `bill-run-${september.runId}-invoices.xlsx`,
      `bill-runs-charted-run-run-${september.runId}.png`,
      `bill-run-${october.runId}-invoices.xlsx`,
      `bill-runs-charted-run-run-${october.runId}.png`,
    ]);
    expect(asked[3].alt_txt).toBe(
      'Bar chart of the bill runs of Charted Run: the last 2 completed runs, invoices created and amount invoiced per run, oldest first. ' +
        `Run #${september.runId} (2026-09-01 to 2026-09-30): 2 invoices, $280.00 USD. ` +
        `Run #${october.runId} (2026-10-01 to 2026-10-31, this run): 2 invoices, $280.00 USD.`,
    );
    const completed = slack.of('files.completeUploadExternal').map((c) => c.body);
    expect(completed.map((c) => [c.channel_id, c.thread_ts])).toEqual([
      [SLACK_CHANNEL_ID, '1790000000.000001'],
      [SLACK_CHANNEL_ID, '1790000000.000001'],
      [SLACK_CHANNEL_ID, '1790000000.000002'],
      [SLACK_CHANNEL_ID, '1790000000.000002'],
    ]);
    expect(JSON.parse(completed[3].files)).toEqual([{ id: expect.any(String), title: `Bill runs of Charted Run up to #${october.runId}` }]);
    const png = PNG.sync.read(slack.uploads[3]);
    expect([png.width, png.height]).toEqual([960, 610]);
    expect(Number(asked[3].length)).toBe(slack.uploads[3].length);
    expect(uploadedFile(slack.uploads[2]).subarray(0, 2).toString()).toBe('PK'); // the workbook, multipart as the client sends it
    expect(slack.unmatched).toEqual([]);
  });

  it('still attaches the workbook, and records it, when the chart cannot be made or sent', async () => {
    const logger = memoryLogger();
    const broken = async () => {
      throw new Error('no canvas today');
    };
    const scheduler = testScheduler(t.db, new ManualClock('2026-11-02T09:00:00Z'), { reporter: slack.reporter(), workbook, chart: broken, logger });
    const run = await scheduler.runNow('Charted Run', { startedBy: 'U_FIN', from: '2026-11-01', to: '2026-11-30' });
    if (run.preview) throw new Error('expected a run');
    await run.finished;
    await scheduler.idle();
    expect(slack.of('files.getUploadURLExternal').map((c) => c.body.filename)).toEqual([`bill-run-${run.runId}-invoices.xlsx`]);
    expect(logger.lines).toContain(`warn Could not attach the run history chart of bill run #${run.runId}: no canvas today`);
    expect(await t.db('bill_run_reports').where('bill_run_id', run.runId).first('final_status', 'workbook_posted_at')).toEqual({
      final_status: 'completed',
      workbook_posted_at: expect.any(Date),
    });
  });

  it('records the workbook as attached when Slack refuses the chart', async () => {
    const logger = memoryLogger();
    const reporter = slack.reporter();
    reporter.attachChart = async () => {
      throw new Error('An API error occurred: file_uploads_disabled');
    };
    const scheduler = testScheduler(t.db, new ManualClock('2026-12-02T09:00:00Z'), { reporter, workbook, chart, logger });
    const run = await scheduler.runNow('Charted Run', { startedBy: 'U_FIN', from: '2026-12-01', to: '2026-12-31' });
    if (run.preview) throw new Error('expected a run');
    await run.finished;
    await scheduler.idle();
    expect(logger.lines).toContain(`warn Could not attach the run history chart of bill run #${run.runId}: An API error occurred: file_uploads_disabled`);
    expect(slack.of('files.completeUploadExternal')).toHaveLength(1); // the workbook
    expect(await t.db('bill_run_reports').where('bill_run_id', run.runId).first('workbook_posted_at')).toEqual({ workbook_posted_at: expect.any(Date) });
  });
});
