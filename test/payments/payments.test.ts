import {
  DuplicatePaymentError,
  InvalidAmountError,
  InvalidDateError,
  InvalidInvoicerError,
  OverBalanceError,
  PaymentInvoiceError,
  PaymentStateError,
  UnknownInvoiceError,
  UnknownPaymentError,
  type Billing,
} from '../../billing';
import { usePaymentFamily } from './fixtures';
import { billMonth, ledgerSnapshot, refusal } from '../credits/fixtures';

describe('payments at the level of the billing module', () => {
  const family = usePaymentFamily();
  const t = family;
  let billing: Billing;
  beforeEach(() => {
    billing = family.billing;
  });

  it("continues DOMAIN.md's worked example: $60.00 on invoice 18 leaves $30.00; reversing it brings $90.00 back", async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '$50.00', detail: 'Service outage', createdBy: 'U_FIN' });
    await billMonth(billing, 'Child Co', '2026-09');
    await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50.00', actor: 'U_FIN' });
    expect(await billing.getInvoice('18')).toMatchObject({ total: '140.00', balance: '90.00', invoiceDate: '2026-10-02', dueDate: '2026-11-01' });

    const paid = await billing.recordPayment(
      { account: 'Parent Co', amount: '$60.00', reference: 'CHQ-1001', receivedOn: '2026-10-02', method: 'cheque', to: [{ invoice: '18' }] },
      'U_FIN',
    );
    expect(paid).toMatchObject({
      number: 'PM-000001',
      account: 'Parent Co',
      currency: 'USD',
      amount: '60.00',
      unapplied: '0.00',
      receivedOn: '2026-10-02',
      method: 'cheque',
      reference: 'CHQ-1001',
      status: 'recorded',
      createdBy: 'U_FIN',
    });
    expect(paid.applications).toEqual([
      expect.objectContaining({ invoice: 'INV-000018', kind: 'applied', amount: '60.00', invoiceBalance: '30.00', invoiceStatus: 'partly paid', overdue: false }),
    ]);
    expect(await billing.getInvoice('18')).toMatchObject({ total: '140.00', balance: '30.00', status: 'open' });

    const reversed = await billing.reversePayment('PM-000001', 'Cheque returned unpaid', 'U_FIN');
    expect(reversed).toMatchObject({ status: 'reversed', reversalReason: 'Cheque returned unpaid', reversedBy: 'U_FIN', unapplied: '0.00', amount: '60.00' });
    expect(reversed.applications.map((a) => [a.invoice, a.kind, a.amount, a.invoiceBalance])).toEqual([
      ['INV-000018', 'applied', '60.00', '90.00'],
      ['INV-000018', 'reversed', '60.00', '90.00'],
    ]);
    expect(await billing.getInvoice('18')).toMatchObject({ total: '140.00', balance: '90.00' });
    expect(await billing.listPayments('Parent Co')).toEqual([reversed]);
  });

  it('applies to unpaid invoices oldest due date first without names, and keeps the rest unapplied', async () => {
    await billMonth(billing, 'Child Co', '2026-09');
    await billMonth(billing, 'Child Co', '2026-10');
    const p = await billing.recordPayment({ account: 'Parent Co', amount: '300', reference: 'WIRE-7' }, 'U_FIN');
    expect(p.applications.map((a) => [a.invoice, a.amount, a.invoiceBalance, a.invoiceStatus])).toEqual([
      ['INV-000018', '140.00', '0.00', 'paid'],
      ['INV-000019', '140.00', '0.00', 'paid'],
    ]);
    expect(p).toMatchObject({ unapplied: '20.00', receivedOn: '2026-10-02', method: null });
    expect((await billing.unpaidInvoices('Parent Co')).count).toBe(0);
  });

  it('splits a payment by the amounts named and in the order named', async () => {
    await billMonth(billing, 'Child Co', '2026-09');
    await billMonth(billing, 'Child Co', '2026-10');
    const p = await billing.recordPayment(
      { account: 'Parent Co', amount: '100', to: [{ invoice: 'INV-000019' }, { invoice: '18', amount: '25.50' }] },
      'U_FIN',
    );
    expect(p.applications.map((a) => [a.invoice, a.amount, a.invoiceBalance])).toEqual([
      ['INV-000019', '74.50', '65.50'],
      ['INV-000018', '25.50', '114.50'],
    ]);
    const unpaid = await billing.unpaidInvoices('Parent Co');
    expect(unpaid.invoices.map((i) => [i.number, i.balance, i.status, i.dueDate])).toEqual([
      ['INV-000018', '114.50', 'partly paid', '2026-11-01'],
      ['INV-000019', '65.50', 'partly paid', '2026-11-01'],
    ]);
  });

  it('refuses what it cannot do, each with one sentence and a code, changing nothing', async () => {
    await billMonth(billing, 'Child Co', '2026-09');
    await billMonth(billing, 'Other Co', '2026-09');
    await billing.recordPayment({ account: 'Parent Co', amount: '10', reference: 'CHQ-1' }, 'U_FIN');
    const before = await ledgerSnapshot(t.db);
    const record = (input: Partial<Parameters<Billing['recordPayment']>[0]>) =>
      refusal(() => billing.recordPayment({ account: 'Parent Co', amount: '10', ...input }, 'U_FIN'));

    expect(await record({ reference: 'CHQ-1' })).toBeInstanceOf(DuplicatePaymentError);
    expect((await record({ reference: 'CHQ-1' })).message).toMatch(/already has PM-000001 with reference "CHQ-1"/);
    expect(await record({ amount: '10.001' })).toBeInstanceOf(InvalidAmountError);
    expect(await record({ amount: '0' })).toBeInstanceOf(InvalidAmountError);
    expect(await record({ to: [{ invoice: '19' }] })).toBeInstanceOf(PaymentInvoiceError); // Other Co's invoice
    expect((await record({ to: [{ invoice: '19' }] })).message).toMatch(/INV-000019 is an invoice of "Other Co", not of "Parent Co"/);
    expect(await record({ to: [{ invoice: '99' }] })).toBeInstanceOf(UnknownInvoiceError);
    expect(await record({ to: [{ invoice: '18', amount: '130.01' }] })).toBeInstanceOf(OverBalanceError);
    expect(await record({ account: 'Child Co' })).toBeInstanceOf(InvalidInvoicerError);
    expect(await record({ receivedOn: '2026-10-03' })).toBeInstanceOf(InvalidDateError);
    expect(await refusal(() => billing.reversePayment('PM-000042', 'Returned', 'U_FIN'))).toBeInstanceOf(UnknownPaymentError);
    expect(await refusal(() => billing.reversePayment('PM-000001', ' ', 'U_FIN'))).toMatchObject({ code: 'invalid_input' });
    expect(await ledgerSnapshot(t.db)).toBe(before);

    await billing.reversePayment('PM-000001', 'Charge-back', 'U_FIN');
    const again = await refusal(() => billing.reversePayment('pm-1', 'Twice', 'U_FIN'));
    expect(again).toBeInstanceOf(PaymentStateError);
    expect(again.message).toMatch(/already reversed \("Charge-back"\)/);
    // The same reference stays taken by the reversed payment: recording it again is refused.
    expect(await record({ reference: 'CHQ-1' })).toBeInstanceOf(DuplicatePaymentError);
  });

  it('records a payment once per request key, and the same reference on another account is its own payment', async () => {
    await billMonth(billing, 'Child Co', '2026-09');
    const first = await billing.recordPaymentOnce({ account: 'Parent Co', amount: '5', reference: 'R-1', requestKey: 'slack:abc' }, 'U_FIN');
    const second = await billing.recordPaymentOnce({ account: 'Parent Co', amount: '5', reference: 'R-1', requestKey: 'slack:abc' }, 'U_FIN');
    expect(first.created).toBe(true);
    expect(second).toEqual({ payment: first.payment, created: false });
    const other = await billing.recordPayment({ account: 'Other Co', amount: '5', reference: 'R-1' }, 'U_FIN');
    expect(other).toMatchObject({ number: 'PM-000002', unapplied: '5.00', applications: [] });
    expect((await billing.getInvoice('18')).balance).toBe('135.00');
  });

  it("gives an invoice its due date from the invoicer's terms, else the configuration's, else 30 days", async () => {
    await billing.createConfiguration({ name: 'Net 45', paymentTermsDays: 45, billGroups: ['Default'] });
    await billMonth(billing, 'Other Co', '2026-09', 'Net 45');
    expect(await billing.getInvoice('18')).toMatchObject({ invoiceDate: '2026-10-02', dueDate: '2026-11-16' });
    await billing.updateAccount('Parent Co', { paymentTermsDays: 14 });
    expect(await billing.findAccount('Parent Co')).toMatchObject({ paymentTermsDays: 14 });
    await billMonth(billing, 'Child Co', '2026-09', 'Net 45');
    expect(await billing.getInvoice('19')).toMatchObject({ dueDate: '2026-10-16' });
    await billMonth(billing, 'Other Co', '2026-10');
    expect(await billing.getInvoice('20')).toMatchObject({ dueDate: '2026-11-01' });
  });
});
