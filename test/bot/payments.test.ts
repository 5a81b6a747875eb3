import { createBilling } from '../../billing';
import { billbot } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';
import { driveShell } from '../helpers/shell';

// Each CLI case starts node (and tsx); on a busy machine that takes seconds.
jest.setTimeout(120_000);

const clock = { now: () => new Date('2026-10-02T12:00:00Z') };

/** The worked example up to the disbursement: invoice 18 of $140.00 with a balance of $90.00. */
async function workedExample(db: Parameters<typeof createBilling>[0]) {
  const billing = createBilling(db, clock);
  await billing.loadDemo();
  const credit = await billing.addCredit({ account: 'Parent Co', amount: '50', detail: 'Service outage', createdBy: 'U_FIN' });
  await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
  await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50', actor: 'U_FIN' });
  return billing;
}

describe('payments in the local shell', () => {
  const t = useTestDatabase();

  it('records, lists and reverses with the worked example’s numbers, and asks the form with the unpaid invoices', async () => {
    const shell = driveShell({ services: { billing: await workedExample(t.db) }, user: 'local-admin' });
    await shell.ready();
    const recorded = await shell.type('/payment add Parent Co 60 ref CHQ-1001 on 2026-10-01 to 18');
    expect(recorded).toContain('Payment *PM-000001* of $60.00 from *Parent Co* recorded (received 2026-10-01, reference “CHQ-1001”).');
    expect(recorded).toContain('INV-000018: $60.00 paid · balance $30.00 (partly paid)');
    expect(await shell.type('/payment add Parent Co 60 ref CHQ-1001')).toContain('already has PM-000001 with reference "CHQ-1001"');
    expect(await shell.type('/payment list Parent Co')).toContain('PM-000001 · *Parent Co* · $60.00');

    // No confirmation in the shell: the command is the decision.
    const reversed = await shell.type('/payment reverse PM-000001 Cheque returned');
    expect(reversed).toContain('Payment *PM-000001* of $60.00 from *Parent Co* is reversed: “Cheque returned”.');
    expect(reversed).toContain('INV-000018: $60.00 back on its balance · balance $90.00 (partly paid)');

    // The form alone: once the account is answered, its unpaid invoices are offered.
    expect(await shell.type('/payment add', 'Account')).toContain('Record a payment: answer each field.');
    await shell.type('Parent Co', 'Amount');
    const choices = await shell.type('25', 'Invoices to pay');
    expect(choices).toContain('INV-000018 · $90.00 of $140.00 · due 2026-11-01');
    await shell.type('INV-000018', 'Reference');
    await shell.type('WIRE-2', 'Received on');
    await shell.type('', 'Method');
    const fromForm = await shell.type('bank transfer');
    expect(fromForm).toContain('Payment *PM-000002* of $25.00 from *Parent Co* recorded (received 2026-10-02, bank transfer, reference “WIRE-2”).');
    expect(fromForm).toContain('INV-000018: $25.00 paid · balance $65.00 (partly paid)');
    shell.close();
    await shell.finished;
  });
});

describe('payments in the billbot CLI', () => {
  const t = useTestDatabase();
  const run = (...args: string[]) => billbot(t.url, args);

  it('records, lists and reverses, as JSON and as text', async () => {
    await workedExample(t.db);
    const recorded = await run('payment', 'add', 'Parent Co', '$60.00', '--ref', 'CHQ-1001', '--method', 'cheque', '--to', '18', '--json');
    expect(recorded).toMatchObject({ code: 0, stderr: '' });
    const outcome = JSON.parse(recorded.stdout);
    expect(outcome).toMatchObject({ kind: 'payment', action: 'recorded', payment: { number: 'PM-000001', amount: '60.00', unapplied: '0.00', createdBy: 'cli-tester' } });
    expect(outcome.payment.applications).toEqual([expect.objectContaining({ invoice: 'INV-000018', amount: '60.00', invoiceBalance: '30.00', invoiceStatus: 'partly paid' })]);

    const listed = await run('payment', 'list', 'Parent', 'Co');
    expect(listed.stdout).toContain('PM-000001 · *Parent Co* · $60.00 · received');

    const reversed = JSON.parse((await run('payment', 'reverse', 'PM-000001', 'Cheque', 'returned', '--json')).stdout);
    expect(reversed).toMatchObject({ kind: 'payment', action: 'reversed', payment: { status: 'reversed', reversalReason: 'Cheque returned' } });
    expect(reversed.payment.applications.map((a: any) => [a.kind, a.amount, a.invoiceBalance])).toEqual([
      ['applied', '60.00', '90.00'],
      ['reversed', '60.00', '90.00'],
    ]);

    const refused = await run('payment', 'add', 'Parent Co', '60.001');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/more decimal places than USD allows \(2\)/);
    const twice = await run('payment', 'reverse', 'PM-000001', 'again');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe('PM-000001 is already reversed ("Cheque returned"); a payment is reversed only once.\n');
    expect(await t.db('payments').count('* as n').first()).toEqual({ n: 1 });
  });
});
