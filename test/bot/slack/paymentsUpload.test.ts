import ExcelJS from 'exceljs';
import { createBilling } from '../../../billing';
import type { SlackApp } from '../../../bot/slack/app';
import { CONFIRM_IMPORT_ACTION } from '../../../bot/slack/uploads';
import { ledgerViolations } from '../../credits/fixtures';
import { useTestDatabase } from '../../helpers/db';
import { rowsOf } from '../../sheets/helpers';
import { importClock, payer, paymentsWorkbook, seedPayers } from '../../payments/importFixtures';
import { ADMIN_DM, buttonOf, eventBody, fakeFiles, fileShareMessage, type StoredFile } from './files';
import { ADMIN, buttonClick, fakeSlack, FakeSlack, interactionBody, messageText, postSigned, settle, slashBody, startTestApp } from './helpers';

/**
 * A payments workbook sent to the bot in Slack (signed requests, the Block Kit limits checked
 * by the Slack double): previewed, confirmed once, and the same payments sent again found
 * already recorded; a workbook with problems refused whole.
 */
describe('a payments workbook uploaded in Slack', () => {
  const t = useTestDatabase();
  const N = 1000;
  let files: ReturnType<typeof fakeFiles>;
  let slack: FakeSlack;
  let app: SlackApp;
  let port: number;

  beforeAll(async () => {
    files = fakeFiles();
    slack = fakeSlack();
    await seedPayers(t.db, N);
    ({ slack: app, port } = await startTestApp(t.db, { services: { billing: createBilling(t.db, importClock) } }));
  }, 120_000);
  afterEach(() => [slack, files].forEach((double) => double.clear()));
  afterAll(async () => {
    await app?.stop();
    slack?.done();
  });

  /** Shares the file in the admin's direct message with the bot; returns the bot's reply. */
  async function upload(file: StoredFile) {
    files.put(file);
    const response = await postSigned(port, eventBody(fileShareMessage(file)), { headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    await settle(app.deps);
    const posted = slack.of('chat.postMessage');
    expect(posted).toHaveLength(1);
    return posted[0].args;
  }

  async function confirm(value: string) {
    const path = '/actions/T0TEST/payments';
    const payload = buttonClick(CONFIRM_IMPORT_ACTION, value, path, ADMIN);
    payload.channel = { id: ADMIN_DM, name: 'directmessage' };
    payload.container = { type: 'message', message_ts: '1790000000.000001', channel_id: ADMIN_DM, is_ephemeral: false };
    expect((await postSigned(port, interactionBody(payload))).status).toBe(200);
    await settle(app.deps);
    return slack.responsesTo(path);
  }

  const payments = async () => Number((await t.db('payments').count('* as n').first())!.n);
  const rows = () => Array.from({ length: N * 2 }, (_, k) => ['2026-10-05', payer(k % N), 75, 'bank transfer', `BT-${k}`, null]);

  it('previews 2,000 payments, records them on Confirm, and finds them already recorded when sent again', async () => {
    const data = await paymentsWorkbook(rows());
    const preview = await upload({ id: 'F0PAY1', name: 'payments.xlsx', data });
    const text = messageText(preview);
    expect(text).toContain('Import preview: payments.xlsx');
    expect(text).toContain('ready to import: 2000 payments');
    expect(text).toContain('$150,000.00: $150,000.00 applied, $0.00 unapplied');
    expect(await payments()).toBe(0);

    const replies = await confirm(buttonOf(preview, CONFIRM_IMPORT_ACTION)!.value);
    expect(messageText(replies[0])).toContain('Recorded 2000 payments from *payments.xlsx*, all at once.');
    expect(await payments()).toBe(2000);
    expect(await ledgerViolations(t.db)).toEqual([]);

    slack.clear();
    const again = await upload({ id: 'F0PAY2', name: 'payments again.xlsx', data });
    expect(messageText(again)).toContain('Nothing to import: every payment of *payments again.xlsx* is already recorded.');
    expect(messageText(again)).toContain('2000 rows already recorded (skipped, never applied twice)');
    expect(buttonOf(again, CONFIRM_IMPORT_ACTION)).toBeUndefined();
    expect(await payments()).toBe(2000);
  }, 120_000);

  it('exports the payments of an account as a workbook uploaded to whoever asked', async () => {
    const { body, responsePath } = slashBody('/billing', `export payments ${payer(3)} from 2026-10-01 to 2026-10-31`, { user: ADMIN });
    expect((await postSigned(port, body)).status).toBe(200);
    await settle(app.deps);
    expect(slack.responsesTo(responsePath)[0].text).toContain('Preparing the payments export');
    expect(files.uploads.map((u) => u.filename)).toEqual([`billbot-payments-payer-00003-from-2026-10-01-to-2026-10-31.xlsx`]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(files.uploads[0].data as unknown as ArrayBuffer);
    expect(rowsOf(wb.getWorksheet('Payments')!).slice(1).map((r) => [r[2], r[4], r[8]])).toEqual([
      [payer(3), 75, 'BT-3'],
      [payer(3), 75, 'BT-1003'],
    ]);
    expect(files.completed[0].initial_comment).toBe(`<@${ADMIN}> asked for this. The payments export: 2 payments and 3 applications.`);
    // $75.00 to August, then $25.00 to August and $50.00 to September.
    expect(rowsOf(wb.getWorksheet('Applications')!).slice(1).map((r) => r[5])).toEqual([75, 25, 50]);
  }, 60_000);

  it('refuses a workbook with problems whole, listing the first of them', async () => {
    const bad = rows().map((r, k) => (k % 500 === 7 ? ['2026-10-05', 'Nobody', 10, null, `X-${k}`, null] : [r[0], r[1], r[2], r[3], `Y-${k}`, r[5]]));
    const reply = await upload({ id: 'F0PAY3', name: 'bad.xlsx', data: await paymentsWorkbook(bad) });
    const text = messageText(reply);
    expect(text).toContain('*bad.xlsx* has 4 problems, so no payment was recorded.');
    expect(text).toContain('Payments row 9, Account: found "Nobody"; expected: An account that exists');
    expect(buttonOf(reply, CONFIRM_IMPORT_ACTION)).toBeUndefined();
    expect(await payments()).toBe(2000);
    expect(await t.db('pending_imports').where('source', 'slack:F0PAY3').first('status')).toEqual({ status: 'rejected' });
  }, 120_000);
});
