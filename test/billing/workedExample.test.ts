import { createBilling } from '../../billing';
import { useTestDatabase } from '../helpers/db';

// DOMAIN.md "Worked example (both seeds together; these exact numbers are a test)".
describe('the worked example of DOMAIN.md', () => {
  const t = useTestDatabase();
  const clock = { now: () => new Date('2026-10-02T12:00:00Z') };

  it('bills the child to the parent, issues, disburses and reverses the credit with the exact numbers', async () => {
    const billing = createBilling(t.db, clock);
    await billing.loadDemo();

    // Add a $50.00 credit to Parent Co with automatic disbursement off: unissued, deletable.
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '$50.00', detail: 'Service outage', createdBy: 'U_FIN' });
    expect(credit).toMatchObject({ status: 'unissued', amount: '50.00', autoDisburse: false, issuedInvoice: null });

    // Bill Child Co for September.
    const september = await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    expect(september.run.status).toBe('completed');
    expect(september.invoices).toEqual([
      { number: 'INV-000018', invoicer: 'Parent Co', currency: 'USD', total: '140.00', balance: '140.00', status: 'open' },
    ]);
    const inv18 = await billing.getInvoice('INV-000018');
    expect(inv18.transactions.map((tx) => [tx.kind, tx.account, tx.amount])).toEqual([
      ['charge', 'Child Co', '100.00'],
      ['charge', 'Child Co', '40.00'],
    ]);
    expect(inv18.transactions[0]).toMatchObject({ periodStart: '2026-09-15', periodEnd: '2026-10-14' });
    const [pkg] = await billing.listAccountPackages('Child Co');
    expect(pkg.nextBillDate).toBe('2026-10-15');

    const issued = await billing.getCredit(credit.id);
    expect(issued).toMatchObject({ status: 'issued', issuedInvoice: 'INV-000018', amountLeft: '50.00' });
    await expect(billing.deleteCredit(credit.id, 'U_FIN')).rejects.toThrow(/reverse it instead/);

    // Billing the same period again creates nothing new.
    const again = await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    expect(again.invoices).toEqual([]);
    expect(again.totals.charges).toBe(0);
    expect(again.skipped).toEqual([
      expect.objectContaining({ account: 'Child Co', reason: 'already billed', message: expect.stringContaining('INV-000018') }),
    ]);
    expect(await t.db('invoices').count('* as n').first()).toEqual({ n: 1 });

    // Disburse $50.00 to #18: balance $90.00, credit $0.00 left; one more cent refused.
    const d = await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50.00', actor: 'U_FIN' });
    expect(d).toMatchObject({ disbursed: '50.00', invoice: 'INV-000018', invoiceBalance: '90.00' });
    expect((await billing.getInvoice('18'))).toMatchObject({ total: '140.00', balance: '90.00' });
    expect((await billing.getCredit(credit.id)).amountLeft).toBe('0.00');
    await expect(billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '0.01', actor: 'U_FIN' })).rejects.toThrow(
      /nothing left to disburse/,
    );

    // Reverse: #18 unchanged; October's bill carries the charge and a +$50.00 reversed credit.
    const reversed = await billing.reverseCredit(credit.id, 'U_FIN');
    expect(reversed.status).toBe('reversal pending');
    expect(await billing.getInvoice('18')).toMatchObject({ total: '140.00', balance: '90.00' });

    const october = await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-10-01', to: '2026-10-31', startedBy: 'U_FIN' });
    expect(october.invoices).toEqual([
      { number: 'INV-000019', invoicer: 'Parent Co', currency: 'USD', total: '190.00', balance: '190.00', status: 'open' },
    ]);
    const inv19 = await billing.getInvoice('INV-000019');
    expect(inv19.transactions.map((tx) => [tx.kind, tx.account, tx.amount])).toEqual([
      ['charge', 'Child Co', '100.00'],
      ['charge', 'Child Co', '40.00'],
      ['reversed credit', 'Parent Co', '50.00'],
    ]);
    expect(await billing.getCredit(credit.id)).toMatchObject({ status: 'reversed', reversalInvoice: 'INV-000019', reversedAmount: '50.00' });
    expect((await billing.getInvoice('18')).balance).toBe('90.00');
  });
});
