import ExcelJS from 'exceljs';
import nock from 'nock';
import { createAccess } from '../../../billing/access';
import { createBilling } from '../../../billing';
import { CANCEL_IMPORT_ACTION, CONFIRM_IMPORT_ACTION } from '../../../bot/slack/uploads';
import { ADMIN_DM, buttonOf, eventBody, fakeFiles, fileShareMessage, fileSharedEvent, STRANGER, VIEWER, XLSX, type StoredFile } from './files';
import { useTestDatabase } from '../../helpers/db';
import { ACCOUNT_HEADERS, rowsOf, workbook, workedExampleSheets } from '../../sheets/helpers';
import {
  ADMIN,
  BOT_TOKEN,
  buttonClick,
  CHANNEL,
  CLOCK,
  dmOf,
  fakeSlack,
  interactionBody,
  messageText,
  postSigned,
  settle,
  slashBody,
  useSlackApp,
} from './helpers';

async function readWorkbook(data: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(data as unknown as ArrayBuffer);
  return wb;
}

describe('workbooks in Slack', () => {
  const t = useTestDatabase();
  let files: ReturnType<typeof fakeFiles>;
  let clicks = 0;

  beforeAll(async () => {
    files = fakeFiles();
    await createAccess(t.db).grant({ principal: VIEWER, role: 'viewer', grantedBy: ADMIN });
  });
  const env = useSlackApp(t);
  beforeEach(() => files.clear());

  async function sendEvent(event: Record<string, unknown>, o: { eventId?: string; retry?: number; timestamp?: number } = {}) {
    const body = eventBody(event, o.eventId);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (o.retry) {
      headers['x-slack-retry-num'] = String(o.retry);
      headers['x-slack-retry-reason'] = 'http_timeout';
    }
    const response = await postSigned(env.port, body, { headers, timestamp: o.timestamp });
    expect(response.status).toBe(200);
    return JSON.parse(body).event_id as string;
  }

  /** Clicks a button of a message in a direct message (or, ephemeral, in a channel); returns what was posted to its response_url. */
  async function click(actionId: string, value: string, o: { user?: string; channel?: string; ephemeral?: boolean; settleAfter?: boolean } = {}) {
    clicks += 1;
    const path = `/actions/T0TEST/${clicks}`;
    const payload = buttonClick(actionId, value, path, o.user ?? ADMIN);
    const channel = o.channel ?? ADMIN_DM;
    payload.channel = { id: channel, name: channel.startsWith('D') ? 'directmessage' : 'billing' };
    payload.container = { type: 'message', message_ts: '1790000000.000001', channel_id: channel, is_ephemeral: o.ephemeral ?? false };
    const response = await postSigned(env.port, interactionBody(payload));
    expect(response.status).toBe(200);
    if (o.settleAfter ?? true) await settle(env.app.deps);
    return () => env.slack.responsesTo(path);
  }

  async function command(text: string, user = ADMIN) {
    const { body, responsePath } = slashBody('/billing', text, { user });
    const response = await postSigned(env.port, body);
    expect(response.status).toBe(200);
    await settle(env.app.deps);
    return env.slack.responsesTo(responsePath);
  }

  const count = async (table: string) => Number((await t.db(table).count('* as n').first())!.n);

  it('previews an upload once (two events and a retry), then a double-clicked Confirm imports it once', async () => {
    const file: StoredFile = { id: 'F0SETUP1', name: 'setup.xlsx', data: await workbook(workedExampleSheets()) };
    files.put(file);

    // One upload in the bot's direct messages arrives as a message and as file_shared.
    const eventId = await sendEvent(fileShareMessage(file));
    await sendEvent(fileSharedEvent(file));
    await settle(env.app.deps);
    // Slack retries the message event (it thought the first delivery was lost).
    await sendEvent(fileShareMessage(file), { eventId, retry: 1, timestamp: Math.floor(Date.now() / 1000) - 1 });
    await settle(env.app.deps);

    expect(files.info).toEqual(['F0SETUP1']);
    expect(files.downloads).toEqual([{ file: 'F0SETUP1', authorization: `Bearer ${BOT_TOKEN}` }]);
    const posted = env.slack.of('chat.postMessage');
    expect(posted).toHaveLength(1);
    const preview = posted[0].args;
    expect(preview.channel).toBe(ADMIN_DM);
    const text = messageText(preview);
    expect(text).toContain('Import preview: setup.xlsx');
    expect(text).toContain('*Accounts:* 2 created, 0 updated, 0 unchanged');
    expect(text).toContain('*Packages:* 1 created, 0 updated, 0 unchanged');
    expect(text).toContain('Nothing has changed yet');
    expect(await count('accounts')).toBe(0);
    const confirm = buttonOf(preview, CONFIRM_IMPORT_ACTION)!;
    expect(buttonOf(preview, CANCEL_IMPORT_ACTION)!.value).toBe(confirm.value);
    expect(await t.db('pending_imports').first('status', 'file_name', 'actor', 'source')).toEqual({
      status: 'previewed',
      file_name: 'setup.xlsx',
      actor: ADMIN,
      source: 'slack:F0SETUP1',
    });

    // Two clicks at once.
    const [first, second] = await Promise.all([
      click(CONFIRM_IMPORT_ACTION, confirm.value, { settleAfter: false }),
      click(CONFIRM_IMPORT_ACTION, confirm.value, { settleAfter: false }),
    ]);
    await settle(env.app.deps);
    expect(await count('setup_imports')).toBe(1);
    expect(await t.db('accounts').orderBy('name').pluck('name')).toEqual(['Child Co', 'Parent Co']);
    const replies = [...first(), ...second()];
    expect(replies).toHaveLength(2);
    const applied = replies.find((r) => r.replace_original === true)!;
    expect(applied.response_type).toBe('in_channel');
    expect(messageText(applied)).toContain('Imported *setup.xlsx*: every row was applied at once.');
    expect(buttonOf(applied, CONFIRM_IMPORT_ACTION)).toBeUndefined();
    const repeated = replies.find((r) => r.replace_original === false)!;
    expect(repeated.text).toMatch(new RegExp(`^\\*setup\\.xlsx\\* was already imported by <@${ADMIN}> at .* UTC; it is not imported again\\.$`));
    expect(await t.db('pending_imports').first('status', 'decided_by', 'content')).toEqual({ status: 'applied', decided_by: ADMIN, content: null });

    // A click after the fact (another day, another process) imports nothing either.
    const late = await click(CONFIRM_IMPORT_ACTION, confirm.value);
    expect(late()[0].text).toContain('was already imported');
    expect(await count('setup_imports')).toBe(1);
  });

  it('refuses an upload from someone who is not an admin before looking at the file, and audits it', async () => {
    const file: StoredFile = { id: 'F0VIEWER1', name: 'mine.xlsx', data: await workbook(workedExampleSheets()) };
    files.put(file);
    await sendEvent(fileShareMessage(file, { user: VIEWER, channel: 'D0VIEWER' }));
    await settle(env.app.deps);
    expect(files.info).toEqual([]);
    expect(files.downloads).toEqual([]);
    const [reply] = env.slack.of('chat.postMessage');
    expect(reply.args.channel).toBe('D0VIEWER');
    expect(reply.args.text).toMatch(new RegExp(`^Sorry <@${VIEWER}>, this needs the \\*admin\\* role \\(to manage access and imports\\)\\. You have the viewer role`));
    expect(await t.db('audit_log').where('actor', VIEWER).orderBy('id', 'desc').first('command', 'input', 'action', 'role_required', 'decision', 'detail')).toEqual({
      command: 'event:message',
      input: 'file F0VIEWER1 (mine.xlsx)',
      action: 'billing.import',
      role_required: 'admin',
      decision: 'refused',
      detail: 'holds viewer',
    });
    expect(await t.db('pending_imports').where('source', 'slack:F0VIEWER1').first()).toBeUndefined();
  });

  it('refuses a file over 20 MB from its stated size, without downloading it', async () => {
    files.put({ id: 'F0HUGE1', name: 'huge.xlsx', data: Buffer.from('never read'), size: 25 * 1024 * 1024 });
    await sendEvent(fileSharedEvent({ id: 'F0HUGE1', name: 'huge.xlsx', data: Buffer.alloc(0) }));
    await settle(env.app.deps);
    expect(files.info).toEqual(['F0HUGE1']);
    expect(files.downloads).toEqual([]);
    const [reply] = env.slack.of('chat.postMessage');
    expect(reply.args).toMatchObject({
      channel: ADMIN_DM,
      text: 'huge.xlsx is 25 MB; a workbook can be at most 20 MB, so it was not downloaded. Split it into several workbooks.',
    });
  });

  it('discards a previewed workbook on Cancel, which Confirm cannot bring back', async () => {
    const sheets = { Accounts: [ACCOUNT_HEADERS, ['Parent Co', 'Parent Company Renamed', 'USD', 'active', 'Default', 1, null, null]] };
    const file: StoredFile = { id: 'F0RENAME1', name: 'rename.xlsx', data: await workbook(sheets) };
    files.put(file);
    await sendEvent(fileShareMessage(file));
    await settle(env.app.deps);
    const [preview] = env.slack.of('chat.postMessage');
    expect(messageText(preview.args)).toContain('*Accounts:* 0 created, 1 updated, 0 unchanged');
    const value = buttonOf(preview.args, CANCEL_IMPORT_ACTION)!.value;

    const cancelled = await click(CANCEL_IMPORT_ACTION, value);
    // The preview was a message in the direct message: it is replaced by a message.
    expect(cancelled()).toEqual([{ response_type: 'in_channel', text: 'Cancelled: nothing was imported from *rename.xlsx*.', replace_original: true }]);
    const confirmed = await click(CONFIRM_IMPORT_ACTION, value);
    expect(confirmed()[0].text).toMatch(/^\*rename\.xlsx\* was cancelled by <@U0ADMIN> at .* UTC; send the file again to import it\.$/);
    expect((await createBilling(t.db, CLOCK).findAccount('Parent Co')).displayName).toBe('Parent Company');
    expect(await t.db('pending_imports').where('source', 'slack:F0RENAME1').first('status', 'content')).toEqual({ status: 'cancelled', content: null });
  });

  it('shows every problem of a workbook that cannot be applied, with no Confirm button', async () => {
    const rows = Array.from({ length: 23 }, (_, i) => [`Broken ${i + 1}`, null, 'DOLLARS', 'active', 'Default', 1, null, null]);
    const file: StoredFile = { id: 'F0BROKEN1', name: 'broken.xlsx', data: await workbook({ Accounts: [ACCOUNT_HEADERS, ...rows] }) };
    files.put(file);
    await sendEvent(fileShareMessage(file));
    await settle(env.app.deps);
    const [reply] = env.slack.of('chat.postMessage');
    const text = messageText(reply.args);
    expect(text).toContain('*broken.xlsx* has 23 problems, so nothing was imported.');
    expect(text).toContain('Accounts row 2, Currency: found "DOLLARS"; expected:');
    expect(text).toContain('Accounts row 21, Currency');
    expect(text).not.toContain('Accounts row 22, Currency');
    expect(text).toContain('…and 3 more problems');
    expect(buttonOf(reply.args, CONFIRM_IMPORT_ACTION)).toBeUndefined();
    expect(await t.db('pending_imports').where('source', 'slack:F0BROKEN1').first('status', 'content')).toEqual({ status: 'rejected', content: null });
  });

  it('takes a file in a channel only when the message mentions the bot; the preview is for the sender, the result for the channel', async () => {
    const sheets = { Accounts: [ACCOUNT_HEADERS, ['Channel Co', null, 'USD', 'active', 'Default', 1, null, null]] };
    const file: StoredFile = { id: 'F0CHAN1', name: 'channel.xlsx', data: await workbook(sheets) };
    files.put(file);
    await sendEvent(fileShareMessage(file, { channel: CHANNEL, text: 'our new customer' }));
    await sendEvent(fileSharedEvent(file, { channel: CHANNEL }));
    await settle(env.app.deps);
    expect(files.info).toEqual([]);
    expect(env.slack.calls.filter((c) => c.method.startsWith('chat.'))).toEqual([]);

    await sendEvent(fileShareMessage(file, { channel: CHANNEL, text: '<@U0BOT> please import this' }));
    await settle(env.app.deps);
    const [preview] = env.slack.of('chat.postEphemeral');
    expect(preview.args).toMatchObject({ channel: CHANNEL, user: ADMIN });
    const value = buttonOf(preview.args, CONFIRM_IMPORT_ACTION)!.value;
    const replies = await click(CONFIRM_IMPORT_ACTION, value, { channel: CHANNEL, ephemeral: true });
    const [replaced, announced] = replies();
    expect(replaced).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(announced).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(messageText(announced)).toContain('Imported *channel.xlsx*');
    expect(await t.db('accounts').where('name', 'Channel Co').first('currency')).toEqual({ currency: 'USD' });
  });

  it('answers a file that is not a workbook, and /billing import, with what to do', async () => {
    files.put({ id: 'F0CSV1', name: 'accounts.csv', data: Buffer.from('Name\nA\n') });
    await sendEvent(fileSharedEvent({ id: 'F0CSV1', name: 'accounts.csv', data: Buffer.alloc(0) }));
    await settle(env.app.deps);
    expect(files.downloads).toEqual([]);
    expect(env.slack.of('chat.postMessage')[0].args.text).toBe(
      'accounts.csv is not an Excel workbook: send billbot a setup workbook (.xlsx) to import it. `/billing template` gives an empty one.',
    );
    const [reply] = await command('import');
    expect(reply.text).toContain('upload the .xlsx file to me in a direct message');
    const [refused] = await command('import', VIEWER);
    expect(refused.text).toContain('this needs the *admin* role');
  });

  it('sends the empty setup workbook for /billing template to the person, in a direct message', async () => {
    const replies = await command('template', VIEWER);
    expect(replies).toEqual([expect.objectContaining({ response_type: 'ephemeral', text: expect.stringContaining('Sent to you in a direct message') })]);
    expect(env.slack.of('conversations.open').map((c) => c.args.users)).toEqual([VIEWER]);
    expect(files.uploads).toHaveLength(1);
    expect(files.uploads[0].filename).toBe('billbot-setup-template.xlsx');
    const wb = await readWorkbook(files.uploads[0].data);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Accounts', 'Packages', 'Account Packages', 'Bill Runs', 'Read Me']);
    expect(rowsOf(wb.getWorksheet('Accounts')!)[0]).toEqual(ACCOUNT_HEADERS);
    expect(files.completed).toHaveLength(1);
    // Changed behaviour: the file went to the channel the command was typed in; now to the person's direct message.
    expect(files.completed[0]).toMatchObject({ channel_id: dmOf(VIEWER), files: [{ id: 'F0UP1' }] });
    expect(files.completed[0].initial_comment).toMatch(new RegExp(`^<@${VIEWER}> asked for this\\. The empty setup workbook:`));
  });

  it('uploads an invoices export for /billing export, to viewers only', async () => {
    // Parent Co and Child Co are the ones the first test imported.
    const billing = createBilling(t.db, CLOCK);
    await billing.setInvoiceNumbering({ nextNumber: 18 });
    const report = await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: ADMIN });
    expect(report.invoices.map((i) => i.number)).toEqual(['INV-000018']);

    const [preparing] = await command('export invoices Parent Co from 2026-10-01 to 2026-10-31', VIEWER);
    expect(preparing).toMatchObject({ response_type: 'ephemeral', text: ':hourglass_flowing_sand: Preparing the invoices export…' });
    expect(files.uploads).toHaveLength(1);
    expect(files.uploads[0].filename).toBe('billbot-invoices-parent-co-from-2026-10-01-to-2026-10-31.xlsx');
    const wb = await readWorkbook(files.uploads[0].data);
    const invoices = rowsOf(wb.getWorksheet('Invoices')!);
    expect(invoices[0].slice(0, 2)).toEqual(['Number', 'Invoicer']);
    expect(invoices.slice(1).map((r) => [r[0], r[1], r[6], r[7]])).toEqual([['INV-000018', 'Parent Co', 140, 140]]);
    const transactions = rowsOf(wb.getWorksheet('Transactions')!);
    expect(transactions.slice(1).map((r) => [r[1], r[4], r[9]])).toEqual([
      ['Child Co', 'Network Monitoring', 100],
      ['Child Co', 'Support', 40],
    ]);
    expect(files.completed[0].initial_comment).toBe(`<@${VIEWER}> asked for this. The invoices export: 1 invoice and 2 transactions.`);
    expect(files.completed[0].channel_id).toBe(dmOf(VIEWER));
    expect(files.completed.map((c) => c.channel_id)).not.toContain(CHANNEL);

    const [unknown] = await command('export credits Nobody Ltd', VIEWER);
    expect(unknown.text).toContain('Preparing');
    expect(env.slack.responses.at(-1)!.body.text).toContain('There is no account named "Nobody Ltd"');

    files.clear();
    const [refused] = await command('export accounts', STRANGER);
    expect(refused.text).toContain('this needs the *viewer* role');
    expect(files.uploads).toEqual([]);
  });

  it('typed in the direct message with the bot, the workbook goes there without conversations.open', async () => {
    const { body, responsePath } = slashBody('/billing', 'template', { channel: ADMIN_DM });
    expect((await postSigned(env.port, body)).status).toBe(200);
    await settle(env.app.deps);
    expect(env.slack.responsesTo(responsePath)).toEqual([]);
    expect(env.slack.of('conversations.open')).toEqual([]);
    expect(files.completed.map((c) => c.channel_id)).toEqual([ADMIN_DM]);
  });

  it('tells the person when the bot cannot send them the file', async () => {
    // The last test of the file: files.getUploadURLExternal goes to fakeSlack's catch-all from now on, which fails it.
    nock.removeInterceptor({ hostname: 'slack.com', path: '/api/files.getUploadURLExternal', method: 'POST', proto: 'https' });
    env.slack.fail('files.getUploadURLExternal', 'not_in_channel');
    const replies = await command('template');
    // Changed wording: the file goes to a direct message now, not to the channel.
    expect(replies.at(-1)!.text).toBe("I can't send you files in a direct message. Open billbot's Messages tab (or ask whoever runs billbot to add it to your workspace) and ask again.");
  });
});
