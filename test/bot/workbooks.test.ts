import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBilling } from '../../billing';
import { executeCommand, Outcome, parseCommand, validateCommand } from '../../bot/commands';
import { workbookFileName, workbookHandlers } from '../../bot/commands/workbooks';
import { blocksToText, renderBlocks } from '../../bot/render';
import { useTestDatabase } from '../helpers/db';
import { driveShell } from '../helpers/shell';
import { ACCOUNT_HEADERS, BILL_RUN_HEADERS, readBack, rowsOf, workbook, workedExampleSheets } from '../sheets/helpers';

const clock = { now: () => new Date('2026-10-02T12:00:00Z') };

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'billbot-workbooks-'));
}

function expectKind<K extends Outcome['kind']>(outcome: Outcome, kind: K): Extract<Outcome, { kind: K }> {
  if (outcome.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<Outcome, { kind: K }>;
}

describe('the workbook commands as typed', () => {
  it('reads /billing template, export and import', () => {
    expect(parseCommand('/billing', 'template')).toEqual({ kind: 'billing.template', file: null, channel: null });
    expect(parseCommand('/billing', 'export accounts')).toEqual({
      kind: 'billing.export',
      what: 'accounts',
      account: null,
      from: null,
      to: null,
      run: null,
      file: null,
      channel: null,
    });
    expect(parseCommand('/billing', 'export invoices Parent Co from 2026-09-01 to 2026-09-30')).toMatchObject({
      what: 'invoices',
      account: 'Parent Co',
      from: '2026-09-01',
      to: '2026-09-30',
    });
    expect(parseCommand('/billing', 'Export Invoice run #12')).toMatchObject({ what: 'invoices', account: null, run: 12 });
    // "to" ends the name only before a date; quoting keeps a keyword in a name.
    expect(parseCommand('/billing', 'export credits Back to Basics to 2026-12-31')).toMatchObject({
      what: 'credits',
      account: 'Back to Basics',
      from: null,
      to: '2026-12-31',
    });
    expect(parseCommand('/billing', 'export credits "From 2026-01-01 Ltd"')).toMatchObject({ account: 'From 2026-01-01 Ltd' });
    expect(parseCommand('/billing', 'import setup.xlsx')).toEqual({ kind: 'billing.import', file: 'setup.xlsx', dryRun: false });
    expect(parseCommand('/billing', 'import My Files/setup  v2.xlsx preview')).toEqual({
      kind: 'billing.import',
      file: 'My Files/setup  v2.xlsx',
      dryRun: true,
    });
    expect(parseCommand('/billing', 'import')).toEqual({ kind: 'billing.import', file: null, dryRun: false });
  });

  it('reads a channel to post the workbook in: "in #channel", as Slack links it', () => {
    // Slack sends a channel typed in /billing (should_escape) as <#C123|name>, escaped like the rest of the text.
    expect(parseCommand('/billing', 'template in &lt;#C0FINANCE|finance&gt;', { slackEscaped: true })).toEqual({
      kind: 'billing.template',
      file: null,
      channel: 'C0FINANCE',
    });
    expect(parseCommand('/billing', 'export invoices Made in Germany GmbH from 2026-09-01 in <#C0FINANCE>')).toMatchObject({
      account: 'Made in Germany GmbH',
      from: '2026-09-01',
      channel: 'C0FINANCE',
    });
    expect(parseCommand('/billing', 'export accounts in <#G0PRIVATE|private-finance>')).toMatchObject({ what: 'accounts', account: null, channel: 'G0PRIVATE' });
    // Without a linked channel at the end, "in" is part of the name.
    expect(parseCommand('/billing', 'export credits Made in Germany')).toMatchObject({ account: 'Made in Germany', channel: null });
    expect(parseCommand('/billing', 'export credits Shop "in" <#C0X|x>')).toMatchObject({ account: 'Shop in <#C0X|x>', channel: null });
    expect(() => parseCommand('/billing', 'export credits in #finance')).toThrow('Slack did not link "#finance" as a channel; type # and pick the channel from the list');
  });

  it.each([
    ['template credits', '"/billing template" takes nothing after it'],
    ['template credits in <#C0FINANCE|finance>', '"/billing template" takes nothing after it but "in #channel"'],
    ['export', 'Say what to export: accounts, invoices, credits, payments, aging or statement'],
    ['export ledgers', '"ledgers" is not an export; say accounts, invoices, credits, payments, aging or statement'],
    ['export accounts Parent Co', 'The accounts export is the whole setup; it takes no account, dates or bill run.'],
    ['export credits run 4', 'Only the invoices export can be limited to one bill run.'],
    ['export invoices from 2026-02-30', '"2026-02-30" after "from" is not a real date'],
    ['export invoices from 2026-10-01 to 2026-09-01', 'The "from" date is after the "to" date'],
    ['export invoices from 2026-09-01 from 2026-09-02', '"from" is given twice'],
  ])('refuses /billing %s with one sentence and the form', (text, message) => {
    expect(() => parseCommand('/billing', text)).toThrow(message);
    try {
      parseCommand('/billing', text);
    } catch (e) {
      expect((e as Error).message).toMatch(/Use: \/billing (template|export)/);
    }
  });

  it('names workbook files after what they hold', () => {
    const today = '2026-10-02';
    expect(workbookFileName(validateCommand({ kind: 'billing.template' }) as never, today)).toBe('billbot-setup-template.xlsx');
    expect(workbookFileName(parseCommand('/billing', 'export accounts') as never, today)).toBe('billbot-accounts-2026-10-02.xlsx');
    expect(workbookFileName(parseCommand('/billing', 'export invoices Parent Co from 2026-09-01 to 2026-09-30') as never, today)).toBe(
      'billbot-invoices-parent-co-from-2026-09-01-to-2026-09-30.xlsx',
    );
    expect(workbookFileName(parseCommand('/billing', 'export invoices run 7') as never, today)).toBe('billbot-invoices-run-7.xlsx');
  });
});

describe('the workbook handlers (shell and CLI)', () => {
  const t = useTestDatabase();
  let dir: string;
  const services = (onConfigurationsChanged?: () => Promise<void>) => ({
    billing: createBilling(t.db, clock),
    handlers: workbookHandlers({ billing: createBilling(t.db, clock), directory: dir, onConfigurationsChanged, today: () => '2026-10-02' }),
  });
  const ctx = { actor: 'finance-lead' };

  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes the template under a fresh name each time, never over an earlier file', async () => {
    const first = expectKind(await executeCommand(services(), parseCommand('/billing', 'template'), ctx), 'workbook.written');
    const second = expectKind(await executeCommand(services(), parseCommand('/billing', 'template'), ctx), 'workbook.written');
    expect(first.file).toBe(path.join(dir, 'billbot-setup-template.xlsx'));
    expect(second.file).toBe(path.join(dir, 'billbot-setup-template-2.xlsx'));
    const wb = await readBack(first.file);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Accounts', 'Packages', 'Account Packages', 'Bill Runs', 'Read Me']);
    expect(rowsOf(wb.getWorksheet('Accounts')!)[0]).toEqual(ACCOUNT_HEADERS);
    const text = blocksToText(renderBlocks(first).blocks);
    expect(text).toContain(`Wrote the empty setup workbook to \`${first.file}\`.`);
  });

  it('imports a workbook (preview, then apply) and tells a started scheduler when configurations changed', async () => {
    const file = path.join(dir, 'setup.xlsx');
    await fs.writeFile(file, await workbook(workedExampleSheets()));
    let reloads = 0;
    const s = services(async () => {
      reloads++;
    });

    const preview = expectKind(await executeCommand(s, parseCommand('/billing', 'import setup.xlsx preview'), ctx), 'workbook.import');
    expect(preview.result).toMatchObject({ dryRun: true, applied: false, totalProblems: 0 });
    expect(await t.db('accounts').count('* as n').first()).toEqual({ n: 0 });
    expect(reloads).toBe(0);
    const previewText = blocksToText(renderBlocks(preview).blocks);
    expect(previewText).toContain('Import preview: setup.xlsx');
    expect(previewText).toContain('*Accounts:* 2 created, 0 updated, 0 unchanged');
    expect(previewText).toContain('*Bill Runs:* 1 created, 0 updated, 0 unchanged');
    expect(previewText).toContain('Nothing has changed yet');

    const applied = expectKind(await executeCommand(s, parseCommand('/billing', 'import setup.xlsx'), ctx), 'workbook.import');
    expect(applied.result).toMatchObject({ applied: true, accounts: { created: 2, updated: 0, unchanged: 0 } });
    expect(await t.db('setup_imports').pluck('actor')).toEqual(['finance-lead']);
    expect(reloads).toBe(1);
    expect(blocksToText(renderBlocks(applied).blocks)).toContain('Imported *setup.xlsx*: every row was applied at once.');

    // The same file again changes nothing, and the scheduler is left alone.
    const again = expectKind(await executeCommand(s, parseCommand('/billing', 'import setup.xlsx'), ctx), 'workbook.import');
    expect(again.result.applied).toBe(true);
    expect(blocksToText(renderBlocks(again).blocks)).toContain('Nothing to import: every row of *setup.xlsx* matches what is stored.');
    expect(reloads).toBe(1);
  });

  it('lists the first 20 problems with sheet, row and column, counts the rest, and imports nothing', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => [`Broken ${i + 1}`, null, 'DOLLARS', 'active', 'Default', 1, null, null]);
    const file = path.join(dir, 'broken.xlsx');
    await fs.writeFile(file, await workbook({ Accounts: [ACCOUNT_HEADERS, ...rows] }));
    const before = await t.db('accounts').count('* as n').first();
    const outcome = expectKind(await executeCommand(services(), parseCommand('/billing', 'import broken.xlsx'), ctx), 'workbook.import');
    expect(outcome.result).toMatchObject({ applied: false, totalProblems: 25 });
    expect(outcome.result.problems[0]).toMatchObject({ sheet: 'Accounts', row: 2, column: 'Currency', value: 'DOLLARS' });
    expect(await t.db('accounts').count('* as n').first()).toEqual(before);
    const text = blocksToText(renderBlocks(outcome).blocks);
    expect(text).toContain('*broken.xlsx* has 25 problems, so nothing was imported.');
    expect(text).toContain('Accounts row 2, Currency: found "DOLLARS"');
    expect(text).toContain('Accounts row 21, Currency');
    expect(text).not.toContain('Accounts row 22, Currency');
    expect(text).toContain('…and 5 more problems');
  });

  it('refuses what cannot be read with one sentence', async () => {
    const run = (text: string) => executeCommand(services(), parseCommand('/billing', text), ctx);
    expect(await run('import')).toMatchObject({ kind: 'error', code: 'command_syntax', message: expect.stringContaining('Name the workbook file to import') });
    expect(await run('import missing.xlsx')).toMatchObject({ kind: 'error', code: 'not_a_workbook', message: `There is no file ${path.join(dir, 'missing.xlsx')}.` });
    await fs.writeFile(path.join(dir, 'notes.xlsx'), 'Name,Currency\nParent Co,USD\n');
    expect(await run('import notes.xlsx')).toMatchObject({ kind: 'error', code: 'not_a_workbook', message: expect.stringContaining('plain text') });
    const big = path.join(dir, 'big.xlsx');
    await fs.writeFile(big, Buffer.alloc(129 * 1024 * 1024));
    expect(await run('import big.xlsx')).toMatchObject({ kind: 'error', code: 'workbook_too_large', message: 'big.xlsx is 129 MB; a workbook can be at most 128 MB.' });
  });

  it('exports invoices filtered by account and dates, and keeps an earlier file when an export is refused', async () => {
    const billing = createBilling(t.db, clock);
    await billing.setInvoiceNumbering({ nextNumber: 18 });
    const report = await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'finance-lead' });
    expect(report.invoices.map((i) => i.number)).toEqual(['INV-000018']);
    const s = services();
    // Invoice dates are the run date (2026-10-02).
    const command = validateCommand({ kind: 'billing.export', what: 'invoices', account: 'Parent Co', from: '2026-10-01', to: '2026-10-31', file: 'september.xlsx' });
    const written = expectKind(await executeCommand(s, command, ctx), 'workbook.written');
    expect(written).toMatchObject({ workbook: 'invoices', file: path.join(dir, 'september.xlsx'), rows: { invoices: 1, transactions: 2 } });
    const wb = await readBack(written.file);
    const invoices = rowsOf(wb.getWorksheet('Invoices')!);
    expect(invoices[1].slice(0, 2)).toEqual(['INV-000018', 'Parent Co']);
    expect(invoices[1][6]).toBe(140);
    expect(blocksToText(renderBlocks(written).blocks)).toContain('The invoices export: 1 invoice and 2 transactions.');

    const refused = await executeCommand(s, validateCommand({ kind: 'billing.export', what: 'invoices', account: 'Nobody Ltd', file: 'september.xlsx' }), ctx);
    expect(refused).toMatchObject({ kind: 'error', message: expect.stringContaining('There is no account named "Nobody Ltd"') });
    expect(rowsOf((await readBack(written.file)).getWorksheet('Invoices')!)).toEqual(invoices);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    expect(await executeCommand(s, validateCommand({ kind: 'billing.export', what: 'credits', file: 'credits.csv' }), ctx)).toMatchObject({
      kind: 'error',
      code: 'workbook_file',
      message: expect.stringContaining('.xlsx extension'),
    });
    expect(await executeCommand(s, validateCommand({ kind: 'billing.export', what: 'credits', file: 'no/such/folder/c.xlsx' }), ctx)).toMatchObject({
      kind: 'error',
      code: 'workbook_file',
      message: expect.stringContaining('its folder does not exist'),
    });
  });
});

function startShell(billing: ReturnType<typeof createBilling>, directory: string) {
  return driveShell({ services: { billing }, user: 'local-admin', directory });
}

describe('workbooks in the local shell', () => {
  const t = useTestDatabase();
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes the template and exports into the working directory and says where', async () => {
    const shell = startShell(createBilling(t.db, clock), dir);
    await shell.ready();
    const reply = await shell.type('/billing template');
    expect(reply).toContain(`Wrote the empty setup workbook to \`${path.join(dir, 'billbot-setup-template.xlsx')}\`.`);
    expect((await fs.stat(path.join(dir, 'billbot-setup-template.xlsx'))).size).toBeGreaterThan(1000);
    const exported = await shell.type('/billing export accounts');
    expect(exported).toMatch(/Wrote the accounts export \(the setup workbook of what is stored\) to `.*billbot-accounts-\d{4}-\d{2}-\d{2}\.xlsx`\./);
    expect(exported).toContain('0 accounts, 0 package services, 0 account packages and 0 bill run configurations');
    const files = await fs.readdir(dir);
    expect(await shell.type('/billing export accounts in <#C0FINANCE|finance>')).toContain(
      'Only Slack posts a workbook in a channel; here it is written to a file, so leave out "in #channel"',
    );
    expect(await fs.readdir(dir)).toEqual(files);
    shell.close();
    await shell.finished;
  });

  it('previews an import, asks before applying, and applies the file it previewed', async () => {
    const file = path.join(dir, 'setup.xlsx');
    await fs.writeFile(file, await workbook(workedExampleSheets()));
    const shell = startShell(createBilling(t.db, clock), dir);
    await shell.ready();

    const declined = await shell.type('/billing import setup.xlsx', 'Apply it? (yes/no) ');
    expect(declined).toContain('Import preview: setup.xlsx');
    expect(declined).toContain('*Accounts:* 2 created, 0 updated, 0 unchanged');
    expect(await shell.type('no')).toContain('Cancelled: nothing was imported from setup.xlsx.');
    expect(await t.db('accounts').count('* as n').first()).toEqual({ n: 0 });

    await shell.type('/billing import setup.xlsx', 'Apply it? (yes/no) ');
    expect(await shell.type('maybe', 'Apply it? (yes/no) ')).toContain('Answer yes or no.');
    // The file changes on disk after the preview: what was previewed is what is applied.
    await fs.writeFile(
      file,
      await workbook({ Accounts: [ACCOUNT_HEADERS, ['Other Co', null, 'EUR', 'active', 'Default', 1, null, null]], 'Bill Runs': [BILL_RUN_HEADERS] }),
    );
    const applied = await shell.type('yes');
    expect(applied).toContain('Imported *setup.xlsx*: every row was applied at once.');
    expect((await t.db('accounts').orderBy('name').pluck('name')).sort()).toEqual(['Child Co', 'Parent Co']);
    expect(await t.db('setup_imports').pluck('actor')).toEqual(['local-admin']);

    // A file with problems is shown, and nothing is asked.
    await fs.writeFile(file, await workbook({ Accounts: [ACCOUNT_HEADERS, ['Bad Co', null, 'XX', 'active', 'Default', 1, null, null]] }));
    const problems = await shell.type('/billing import setup.xlsx');
    expect(problems).toContain('has 1 problem, so nothing was imported');
    expect(problems).not.toContain('Apply it?');
    shell.close();
    await shell.finished;
  });
});
