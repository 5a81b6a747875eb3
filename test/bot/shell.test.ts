import { createBilling } from '../../billing';
import { useTestDatabase } from '../helpers/db';
import { driveShell, PROMPT } from '../helpers/shell';

function startShell(billing: ReturnType<typeof createBilling>, user = 'local-admin') {
  return driveShell({ services: { billing }, user });
}

describe('the local shell', () => {
  const t = useTestDatabase();
  const clock = { now: () => new Date('2026-10-02T12:00:00Z') };
  const billing = () => createBilling(t.db, clock);

  it('greets, offers the worked example on an empty database, and runs a typed command', async () => {
    const shell = startShell(billing());
    const greeting = await shell.ready();
    expect(greeting).toContain('billbot shell: you are local-admin.');
    expect(greeting).toContain('The database is empty: type demo to load the worked example');

    expect(await shell.type('demo')).toContain('Worked example loaded');

    const reply = await shell.type('/bill Child Co from 2026-09-01 to 2026-09-30');
    expect(reply).toContain('… bill run #');
    expect(reply).toContain('1 of 1 batches billed');
    expect(reply).toMatch(/Bill run #\d+ completed\n=+/);
    expect(reply).toContain('*INV-000018* to *Parent Co*: total $140.00, balance $140.00 (open)');
    expect(reply).toContain('*Started by:* local-admin');

    expect(await shell.type('/billing invoice 18')).toContain('*Total:* $140.00');
    expect(await shell.type('/exit', 'Bye.')).toBe('');
    await shell.finished;
    expect(shell.transcript().trimEnd().endsWith('Bye.')).toBe(true);
  });

  it('answers mistakes with the right form, and unknown text with a hint', async () => {
    const shell = startShell(billing());
    await shell.ready();
    expect(await shell.type('/credit add Parent Co Service outage')).toContain(
      'No amount found after the account; write it like 50, 50.00, $50 or 1,234.56 (and put an account name that contains a number in double quotes). Use: /credit add <account> <amount> <detail...> [auto]',
    );
    expect(await shell.type('hello')).toContain('/billing help lists them all');
    expect(await shell.type('/bill Nobody Ltd')).toContain('There is no account named "Nobody Ltd".');
    shell.close();
    await shell.finished;
  });

  it('asks the credit form field by field, asks again after a bad answer, and adds the credit', async () => {
    const shell = startShell(billing());
    await shell.ready();
    expect(await shell.type('/credit add', 'Account')).toContain('Add a credit: answer each field.');
    await shell.type('Parent Co', 'Amount');
    const again = await shell.type('fifty', 'Amount');
    expect(again).toContain('"fifty" is not an amount');
    await shell.type('50', 'Detail');
    expect(await shell.type('Goodwill <!channel>', '[1]: ')).toBe('Quantity (the amount is multiplied by it) ');
    await shell.type('', 'Disburse automatically when issued [no]: ');
    const reply = await shell.type('');
    expect(reply).toContain('Credit *CR-');
    expect(reply).toContain('of $50.00 added to *Parent Co*: “Goodwill <!channel>”.');

    const credits = await t.db('credits').where('detail', 'Goodwill <!channel>').select('amount', 'auto_disburse', 'created_by');
    expect(credits).toEqual([{ amount: '50.000000', auto_disburse: false, created_by: 'local-admin' }]);
    shell.close();
    await shell.finished;
  });

  it('prefills the bill form from the default configuration and asks again for the field a rule points at', async () => {
    const shell = startShell(billing(), 'U_FIN');
    await shell.ready();
    await shell.type('/bill', 'Account');
    expect(await shell.type('Child Co', ']: ')).toContain('Bill run configuration (blank: the default configuration) [Monthly Billing');
    expect(await shell.type('', ']: ')).toContain("Billing period from (YYYY-MM-DD; blank: the configuration's period) [2026-10-01");
    expect(await shell.type('', ']: ')).toContain('Billing period to (YYYY-MM-DD; blank: the configuration\'s period) [2026-10-31');
    await shell.type('-', 'Posting date');
    await shell.type('', 'Preview only');
    const problem = await shell.type('yes', 'Billing period to');
    expect(problem).toContain('Give both ends of the billing period (from YYYY-MM-DD to YYYY-MM-DD), or neither.');
    const reply = await shell.type('2026-10-31');
    expect(reply).toContain('Preview — nothing was written');
    expect(reply).toContain('*Period:* 2026-10-01 to 2026-10-31');
    expect(reply).toContain('Managed Network: 2026-10-15 to 2026-11-14, $140.00');
    expect(await t.db('invoices').where('number', 19).first()).toBeUndefined();
    shell.close();
    await shell.finished;
  });

  it('cancels a form without doing anything', async () => {
    const shell = startShell(billing());
    await shell.ready();
    const before = await t.db('credits').count('* as n').first();
    await shell.type('/credit add', 'Account');
    await shell.type('Parent Co', 'Amount');
    expect(await shell.type('/cancel')).toContain('Cancelled; nothing was done.');
    expect(await t.db('credits').count('* as n').first()).toEqual(before);
    shell.close();
    await shell.finished;
  });
});
