import { InvalidAmountError, Money, OverBalanceError, parseAmount, PaymentInvoiceError } from '../../billing';
import * as rules from '../../billing/payments/rules';

const { allocatePayment, daysPastDue, dueDate, dueDateSql, formatPaymentNumber, invoicePaymentStatus, isOverdue } = rules;
const { parsePaymentNumber, paymentTermsDays } = rules;

const usd = (v: string) => Money.exact(v, 'USD');
const inv = (number: string, balance: string, due: string) => ({ number, balance: usd(balance), dueDate: due });
const shown = (a: ReturnType<typeof allocatePayment>) => ({
  applications: a.applications.map((x) => [x.number, x.amount.toString()]),
  unapplied: a.unapplied.toString(),
});

describe('due dates', () => {
  it('are the invoicer terms after the invoice date, else the configuration terms, else 30 days', () => {
    expect(paymentTermsDays(14, 45)).toBe(14);
    expect(paymentTermsDays(null, 45)).toBe(45);
    expect(paymentTermsDays(undefined, null)).toBe(30);
    expect(paymentTermsDays(0, 45)).toBe(0);
    expect(dueDate('2026-10-02', null, null)).toBe('2026-11-01');
    expect(dueDate('2026-12-20', 15, 60)).toBe('2027-01-04');
    expect(dueDate('2028-02-14', null, 15)).toBe('2028-02-29');
  });

  it('are the same rule in SQL', () => {
    expect(dueDateSql('d', 'a.t', 'c.t')).toBe('(d + COALESCE(a.t, c.t, 30))');
  });
});

describe('invoice status', () => {
  it('is open at the full total, partly paid in between, paid at zero', () => {
    expect(invoicePaymentStatus(usd('140'), usd('140'))).toBe('open');
    expect(invoicePaymentStatus(usd('140'), usd('30'))).toBe('partly paid');
    expect(invoicePaymentStatus(usd('140'), usd('0'))).toBe('paid');
    expect(invoicePaymentStatus(usd('0'), usd('0'))).toBe('paid');
  });

  it('is overdue only with a balance, only after the due date', () => {
    expect(isOverdue(usd('30'), '2026-11-01', '2026-11-01')).toBe(false);
    expect(isOverdue(usd('30'), '2026-11-01', '2026-11-02')).toBe(true);
    expect(isOverdue(usd('0'), '2026-11-01', '2027-01-01')).toBe(false);
    expect(daysPastDue('2026-11-01', '2026-10-15')).toBe(0);
    expect(daysPastDue('2026-11-01', '2026-12-01')).toBe(30);
    expect(daysPastDue('2026-02-28', '2026-03-31')).toBe(31);
  });
});

describe('allocation', () => {
  const unpaid = [inv('INV-000020', '50.00', '2026-12-01'), inv('INV-000018', '90.00', '2026-11-01'), inv('INV-000019', '190.00', '2026-11-01')];

  it('goes to unpaid invoices oldest due date first (then lowest number), each up to its balance', () => {
    expect(shown(allocatePayment(usd('100.00'), unpaid))).toEqual({
      applications: [['INV-000018', '90.00'], ['INV-000019', '10.00']],
      unapplied: '0.00',
    });
    expect(shown(allocatePayment(usd('400.00'), unpaid))).toEqual({
      applications: [['INV-000018', '90.00'], ['INV-000019', '190.00'], ['INV-000020', '50.00']],
      unapplied: '70.00',
    });
    expect(shown(allocatePayment(usd('5.00'), []))).toEqual({ applications: [], unapplied: '5.00' });
  });

  it('goes to the invoices named in the order named, and keeps the rest unapplied', () => {
    expect(shown(allocatePayment(usd('100.00'), unpaid, [{ number: 'INV-000020' }, { number: 'INV-000018' }]))).toEqual({
      applications: [['INV-000020', '50.00'], ['INV-000018', '50.00']],
      unapplied: '0.00',
    });
    expect(shown(allocatePayment(usd('100.00'), unpaid, [{ number: 'INV-000020' }]))).toEqual({
      applications: [['INV-000020', '50.00']],
      unapplied: '50.00',
    });
  });

  it('gives named amounts first, then the rest in the order named', () => {
    const a = allocatePayment(usd('100.00'), unpaid, [{ number: 'INV-000019' }, { number: 'INV-000018', amount: usd('60.00') }]);
    expect(shown(a)).toEqual({ applications: [['INV-000019', '40.00'], ['INV-000018', '60.00']], unapplied: '0.00' });
  });

  it('refuses an amount above a balance, amounts above the payment, an invoice named twice or already paid', () => {
    expect(() => allocatePayment(usd('100.00'), unpaid, [{ number: 'INV-000020', amount: usd('50.01') }])).toThrow(OverBalanceError);
    expect(() =>
      allocatePayment(usd('100.00'), unpaid, [
        { number: 'INV-000018', amount: usd('60.00') },
        { number: 'INV-000019', amount: usd('40.01') },
      ]),
    ).toThrow(/add up to more than the payment of \$100\.00/);
    expect(() => allocatePayment(usd('1.00'), unpaid, [{ number: 'INV-000018' }, { number: 'INV-000018' }])).toThrow(PaymentInvoiceError);
    expect(() => allocatePayment(usd('1.00'), [inv('INV-000017', '0.00', '2026-10-01')], [{ number: 'INV-000017' }])).toThrow(/already paid/);
    expect(() => allocatePayment(usd('1.00'), unpaid, [{ number: 'INV-000099' }])).toThrow(PaymentInvoiceError);
  });

  it('never applies more than a balance nor loses a cent (any amounts)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const balances = [seed % 7, (seed * 13) % 11, (seed * 7) % 5].map((n, k) => inv(`INV-${k + 1}`, `${n}.${String(seed % 100).padStart(2, '0')}`, `2026-1${k}-01`));
      const amount = usd(`${seed % 23}.${String((seed * 3) % 100).padStart(2, '0')}`);
      if (!amount.isPositive()) continue;
      const a = allocatePayment(amount, balances);
      const applied = a.applications.reduce((s, x) => s.add(x.amount), Money.zero('USD'));
      expect(applied.add(a.unapplied).eq(amount)).toBe(true);
      for (const x of a.applications) expect(x.amount.gt(balances.find((b) => b.number === x.number)!.balance)).toBe(false);
      expect(a.unapplied.isNegative()).toBe(false);
    }
  });
});

describe('payment amounts and numbers', () => {
  it('refuses more decimals than the currency has', () => {
    expect(() => parseAmount('60.001', 'USD')).toThrow(InvalidAmountError);
    expect(() => parseAmount('60.5', 'JPY')).toThrow(/more decimal places than JPY allows/);
    expect(parseAmount('1.250', 'KWD').toString()).toBe('1.250');
  });

  it('are shown as PM-000001 and read back from what people type', () => {
    expect(formatPaymentNumber(1)).toBe('PM-000001');
    expect(formatPaymentNumber(1234567)).toBe('PM-1234567');
    expect(parsePaymentNumber('PM-000001')).toBe(1);
    expect(parsePaymentNumber('pm-12')).toBe(12);
    expect(parsePaymentNumber('#7')).toBe(7);
    expect(parsePaymentNumber('7')).toBe(7);
    expect(parsePaymentNumber('CR-7')).toBeNull();
    expect(parsePaymentNumber('PM-0')).toBeNull();
  });
});
