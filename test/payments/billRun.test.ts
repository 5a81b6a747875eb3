import { blocksToText, renderBlocks } from '../../bot/render';
import { usePaymentFamily } from './fixtures';
import { billMonth } from '../credits/fixtures';

// A bill run gives each new invoice its due date and applies what the invoicer had unapplied on
// payments, oldest received first, onto its new invoices; the report and the notice say how much.
describe('a bill run and unapplied payments', () => {
  const f = usePaymentFamily();

  it('applies unapplied payments, oldest received first, to the new invoices, and says so', async () => {
    const later = await f.billing.recordPayment({ account: 'Parent Co', amount: '30', reference: 'B', receivedOn: '2026-09-20' }, 'U_FIN');
    const older = await f.billing.recordPayment({ account: 'Parent Co', amount: '150', reference: 'A', receivedOn: '2026-09-10' }, 'U_FIN');
    expect([later.unapplied, older.unapplied]).toEqual(['30.00', '150.00']);

    const september = await billMonth(f.billing, 'Child Co', '2026-09');
    expect(september.totals.paymentsApplied).toEqual({ USD: '140.00' });
    expect(await f.billing.getInvoice('18')).toMatchObject({ total: '140.00', balance: '0.00', status: 'paid', dueDate: '2026-11-01' });
    expect(await f.billing.getPayment(older.number)).toMatchObject({
      unapplied: '10.00',
      applications: [expect.objectContaining({ invoice: 'INV-000018', amount: '140.00', automatic: true, invoiceStatus: 'paid' })],
    });
    expect((await f.billing.getPayment(later.number)).unapplied).toBe('30.00');
    const notice = blocksToText(renderBlocks({ kind: 'bill.report', report: september }).blocks);
    expect(notice).toContain('unapplied payments applied $140.00');

    const october = await billMonth(f.billing, 'Child Co', '2026-10');
    expect(october.totals.paymentsApplied).toEqual({ USD: '40.00' });
    expect(await f.billing.getInvoice('19')).toMatchObject({ total: '140.00', balance: '100.00' });
    expect((await f.billing.listPayments('Parent Co')).map((p) => [p.number, p.unapplied])).toEqual([
      [later.number, '0.00'],
      [older.number, '0.00'],
    ]);
    expect((await f.billing.getBillRunReport(october.run.id)).totals.paymentsApplied).toEqual({ USD: '40.00' });
  });

  it("leaves another invoicer's and a reversed payment's money alone, and a preview changes nothing", async () => {
    await f.billing.recordPayment({ account: 'Other Co', amount: '25', reference: 'O' }, 'U_FIN');
    const reversed = await f.billing.recordPayment({ account: 'Parent Co', amount: '500', reference: 'R' }, 'U_FIN');
    await f.billing.reversePayment(reversed.number, 'Cheque returned', 'U_FIN');
    const september = await billMonth(f.billing, 'Child Co', '2026-09');
    expect(september.totals.paymentsApplied).toEqual({});
    expect(await f.billing.getInvoice('18')).toMatchObject({ balance: '140.00' });

    const preview = await f.billing.previewBill({ account: 'Other Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    expect(preview.totals.paymentsApplied).toEqual({ USD: '25.00' });
    expect((await f.billing.listPayments('Other Co'))[0].unapplied).toBe('25.00');
    const run = await billMonth(f.billing, 'Other Co', '2026-09');
    expect(run.totals.paymentsApplied).toEqual({ USD: '25.00' });
    expect(await f.billing.getInvoice('19')).toMatchObject({ total: '60.00', balance: '35.00' });
  });
});
