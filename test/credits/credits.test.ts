import {
  AccountNotBillableError,
  CreditStateError,
  DisbursementRefusedError,
  InvalidAmountError,
  InvalidInputError,
  UnknownAccountError,
  UnknownCreditError,
  UnknownInvoiceError,
  type Billing,
} from '../../billing';
import { useTestDatabase } from '../helpers/db';
import { billMonth, ledgerSnapshot, ledgerViolations, refusal, setUpFamily } from './fixtures';

// The credits ledger (DOMAIN.md "Credits"): add, delete, issue, disburse (automatic and
// manual), reverse, the views and the audit trail. Each describe block has its own database.

describe('adding a credit', () => {
  const t = useTestDatabase();
  let billing: Billing;
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
  });

  it('records account (a child is allowed), amount x quantity, detail, date, automatic disbursement and who added it', async () => {
    const credit = await billing.addCredit({
      account: 'child co',
      amount: '$12.50',
      quantity: 4,
      detail: 'Four days of outage',
      date: '2026-09-20',
      autoDisburse: true,
      createdBy: 'U_ANA',
    });
    expect(credit).toEqual({
      id: expect.stringMatching(/^CR-\d+$/),
      account: 'Child Co',
      currency: 'USD',
      unitAmount: '12.50',
      quantity: 4,
      amount: '50.00',
      amountLeft: '50.00',
      date: '2026-09-20',
      detail: 'Four days of outage',
      autoDisburse: true,
      status: 'unissued',
      issuedInvoice: null,
      reversedAmount: null,
      reversalInvoice: null,
      createdBy: 'U_ANA',
      disbursements: [],
    });
    const row = await t.db('credits').where('id', Number(credit.id.slice(3))).first();
    expect(row).toMatchObject({ unit_amount: '12.500000', quantity: 4, amount: '50.000000', amount_left: '50.000000' });
  });

  it('takes the amount as people type it and defaults the date to today and automatic disbursement to off', async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '1,234.56', detail: 'Goodwill', createdBy: 'U_ANA' });
    expect(credit).toMatchObject({ amount: '1234.56', quantity: 1, date: '2026-10-02', autoDisburse: false, status: 'unissued' });
  });

  it('adds once for one request key, however often the request arrives', async () => {
    const input = { account: 'Parent Co', amount: '5', detail: 'Retry me', createdBy: 'U_ANA', requestKey: 'slack-view-V1' };
    const first = await billing.addCredit(input);
    const again = await billing.addCredit(input);
    const concurrent = await Promise.all([billing.addCredit(input), billing.addCredit(input)]);
    expect([again.id, ...concurrent.map((c) => c.id)]).toEqual([first.id, first.id, first.id]);
    expect(await t.db('credits').where('request_key', 'slack-view-V1').count('* as n').first()).toEqual({ n: 1 });
    expect((await billing.creditHistory(first.id)).map((e) => e.action)).toEqual(['added']);
  });

  it('records an "added" audit row with who and what', async () => {
    const credit = await billing.addCredit({ account: 'Other Co', amount: '7.25', quantity: 2, detail: 'Late delivery', createdBy: 'U_BEN' });
    const [event] = await billing.creditHistory(credit.id);
    expect(event).toEqual({
      credit: credit.id,
      action: 'added',
      actor: 'U_BEN',
      at: expect.any(String),
      before: null,
      after: { status: 'unissued', account: 'Other Co', amount: '14.50', quantity: 2, auto_disburse: false, detail: 'Late delivery' },
    });
  });

  it.each([
    ['an unknown account', { account: 'Nobody Inc' }, UnknownAccountError, /no account named "Nobody Inc"/],
    ['a zero amount', { amount: '0.00' }, InvalidAmountError, /greater than zero.*zero/],
    ['a negative amount', { amount: '-5' }, InvalidAmountError, /negative/],
    ['an over-precise amount', { amount: '10.001' }, InvalidAmountError, /more decimal places than USD allows \(2\)/],
    ['text for an amount', { amount: 'fifty' }, InvalidAmountError, /Expected an amount/],
    ['a missing amount', { amount: undefined }, InvalidInputError, /amount is required/],
    ['a missing detail', { detail: undefined }, InvalidInputError, /detail.*required/],
    ['a blank detail', { detail: '   ' }, InvalidInputError, /detail.*required/],
    ['a zero quantity', { quantity: 0 }, InvalidInputError, /quantity is a whole number of at least 1/],
    ['a fractional quantity', { quantity: 1.5 }, InvalidInputError, /quantity is a whole number/],
    ['an impossible date', { date: '2026-02-30' }, InvalidInputError, /not a real date/],
    ['no author', { createdBy: '' }, InvalidInputError, /who added/],
  ])('refuses %s with one sentence and writes nothing', async (_label, change, errorClass, message) => {
    const before = await ledgerSnapshot(t.db);
    const input = { account: 'Parent Co', amount: '50', detail: 'Outage', createdBy: 'U_ANA', ...change } as any;
    const error = await refusal(() => billing.addCredit(input));
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(message);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('refuses a credit on a cancelled account', async () => {
    await billing.createAccount({ name: 'Gone Co', currency: 'USD', status: 'cancelled' });
    const before = await ledgerSnapshot(t.db);
    const error = await refusal(() => billing.addCredit({ account: 'Gone Co', amount: '5', detail: 'x', createdBy: 'U_ANA' }));
    expect(error).toBeInstanceOf(AccountNotBillableError);
    expect(error.message).toMatch(/Gone Co.*cancelled/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });
});

describe('deleting a credit', () => {
  const t = useTestDatabase();
  let billing: Billing;
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
  });

  it('deletes an unissued credit, keeps it out of the list and records who deleted it', async () => {
    const credit = await billing.addCredit({ account: 'Child Co', amount: '20', detail: 'Typo', createdBy: 'U_ANA' });
    const deleted = await billing.deleteCredit(credit.id, 'U_BEN');
    expect(deleted).toMatchObject({ status: 'deleted', amountLeft: '0.00', amount: '20.00' });
    expect(await billing.listCredits('Child Co')).toEqual([]);
    expect((await billing.listCredits('Child Co', { includeDeleted: true })).map((c) => c.id)).toEqual([credit.id]);
    const history = await billing.creditHistory(credit.id);
    expect(history.map((e) => [e.action, e.actor])).toEqual([
      ['added', 'U_ANA'],
      ['deleted', 'U_BEN'],
    ]);
    expect(history[1]).toMatchObject({ before: { status: 'unissued', amount_left: '20.00' }, after: { status: 'deleted', amount_left: '0.00' } });

    // A deleted credit is never issued.
    await billMonth(billing, 'Child Co', '2026-09');
    expect((await billing.getCredit(credit.id)).status).toBe('deleted');
  });

  it('refuses to delete an issued credit and points to reversal; nothing is written', async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '20', detail: 'Outage', createdBy: 'U_ANA' });
    await billMonth(billing, 'Parent Co', '2026-10');
    expect((await billing.getCredit(credit.id)).status).toBe('issued');
    const before = await ledgerSnapshot(t.db);
    const error = await refusal(() => billing.deleteCredit(credit.id, 'U_BEN'));
    expect(error).toBeInstanceOf(CreditStateError);
    expect(error.message).toBe(`${credit.id} is issued and can no longer be deleted; reverse it instead (credit reverse ${credit.id}).`);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('refuses deleting twice, an unknown credit and a malformed id with one sentence', async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '20', detail: 'Oops', createdBy: 'U_ANA' });
    await billing.deleteCredit(credit.id, 'U_ANA');
    const before = await ledgerSnapshot(t.db);
    expect(await refusal(() => billing.deleteCredit(credit.id, 'U_ANA'))).toBeInstanceOf(CreditStateError);
    const unknown = await refusal(() => billing.deleteCredit('CR-9999', 'U_ANA'));
    expect(unknown).toBeInstanceOf(UnknownCreditError);
    expect(unknown.message).toBe('There is no credit CR-9999.');
    expect(await refusal(() => billing.deleteCredit('credit seven', 'U_ANA'))).toBeInstanceOf(InvalidInputError);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });
});

describe('issuing credits at billing', () => {
  const t = useTestDatabase();
  let billing: Billing;
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
  });

  it('leaves credits unissued when a run does not generate an invoice, or in a preview', async () => {
    const credit = await billing.addCredit({ account: 'Child Co', amount: '10', detail: 'Early', createdBy: 'U_ANA' });
    await billing.previewBill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_X' });
    expect((await billing.getCredit(credit.id)).status).toBe('unissued');
    const report = await billMonth(billing, 'Child Co', '2026-09', 'Charges Only');
    expect(report.totals.charges).toBe(2);
    expect(report.invoices).toEqual([]);
    expect((await billing.getCredit(credit.id)).status).toBe('unissued');
    await billing.deleteCredit(credit.id, 'U_ANA');
  });

  it("attaches the child's and the invoicer's unissued credits to the invoice of the invoicer, and no one else's", async () => {
    const childCredit = await billing.addCredit({ account: 'Child Co', amount: '15', detail: 'Child outage', createdBy: 'U_ANA' });
    const parentCredit = await billing.addCredit({ account: 'Parent Co', amount: '25', detail: 'Parent goodwill', createdBy: 'U_ANA' });
    const otherCredit = await billing.addCredit({ account: 'Other Co', amount: '35', detail: 'Other', createdBy: 'U_ANA' });

    // The charges made by "Charges Only" in September are invoiced now, with the credits.
    const report = await billMonth(billing, 'Child Co', '2026-10');
    expect(report.invoices).toEqual([
      { number: 'INV-000018', invoicer: 'Parent Co', currency: 'USD', total: '280.00', balance: '280.00', status: 'open' },
    ]);
    expect(report.totals.creditsIssued).toBe(2);
    for (const c of [childCredit, parentCredit]) {
      expect(await billing.getCredit(c.id)).toMatchObject({ status: 'issued', issuedInvoice: 'INV-000018', amountLeft: c.amount });
    }
    expect(await billing.getCredit(childCredit.id)).toMatchObject({ account: 'Child Co' });
    expect((await billing.getCredit(otherCredit.id)).status).toBe('unissued');

    const [, issued] = await billing.creditHistory(childCredit.id);
    expect(issued).toMatchObject({
      action: 'issued',
      actor: 'U_BILLER',
      before: { status: 'unissued' },
      after: { status: 'issued', issued_invoice: 'INV-000018', amount_left: '15.00' },
    });
    // Not automatic: nothing disbursed, the invoice keeps its balance.
    expect((await billing.getInvoice('18')).disbursements).toEqual([]);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('issues nothing when the run creates no invoice (nothing due)', async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '5', detail: 'Waiting', createdBy: 'U_ANA' });
    const report = await billMonth(billing, 'Child Co', '2026-10');
    expect(report.invoices).toEqual([]);
    expect((await billing.getCredit(credit.id)).status).toBe('unissued');
  });
});

describe('automatic disbursement', () => {
  const t = useTestDatabase();
  let billing: Billing;
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
  });

  it("disburses to the invoicer's unpaid invoices oldest first, credit by credit in the order they were added", async () => {
    // #18 (September) and #19 (October), $140.00 each; $30.00 of #18 paid by a manual credit.
    const manual = await billing.addCredit({ account: 'Parent Co', amount: '30', detail: 'Partial', createdBy: 'U_ANA' });
    await billMonth(billing, 'Parent Co', '2026-09');
    await billing.disburseCredit({ credit: manual.id, invoice: '18', amount: '30', actor: 'U_ANA' });
    await billMonth(billing, 'Parent Co', '2026-10');
    // Other Co's invoices (#20, #21 below) must never receive Parent Co's credits.
    await billMonth(billing, 'Other Co', '2026-09');

    const a = await billing.addCredit({ account: 'Parent Co', amount: '100', detail: 'A', autoDisburse: true, createdBy: 'U_ANA' });
    const b = await billing.addCredit({ account: 'Parent Co', amount: '250', detail: 'B', autoDisburse: true, createdBy: 'U_ANA' });
    const c = await billing.addCredit({ account: 'Parent Co', amount: '30', detail: 'C (manual)', createdBy: 'U_ANA' });
    const d = await billing.addCredit({ account: 'Child Co', amount: '1.25', quantity: 4, detail: 'D (child)', autoDisburse: true, createdBy: 'U_ANA' });

    const november = await billMonth(billing, 'Parent Co', '2026-11');
    expect(november.invoices.map((i) => i.number)).toEqual(['INV-000021']);
    expect(november.totals.creditsIssued).toBe(4);
    // Unpaid before: #18 $110, #19 $140, #21 $140.
    // A $100 -> #18 $100. B $250 -> #18 $10, #19 $140, #21 $100. D $5 -> #21 $5. C stays.
    const disbursed = (await t.db('disbursements as x').join('invoices as i', 'i.id', 'x.invoice_id').where('x.automatic', true).orderBy('x.id').select('x.credit_id', 'i.number', 'x.amount')).map(
      (r: any) => [`CR-${r.credit_id}`, Number(r.number), r.amount],
    );
    expect(disbursed).toEqual([
      [a.id, 18, '100.000000'],
      [b.id, 18, '10.000000'],
      [b.id, 19, '140.000000'],
      [b.id, 21, '100.000000'],
      [d.id, 21, '5.000000'],
    ]);
    const balances = await Promise.all(['18', '19', '20', '21'].map((n) => billing.getInvoice(n)));
    expect(balances.map((i) => [i.number, i.invoicer, i.total, i.balance, i.status])).toEqual([
      ['INV-000018', 'Parent Co', '140.00', '0.00', 'paid'],
      ['INV-000019', 'Parent Co', '140.00', '0.00', 'paid'],
      ['INV-000020', 'Other Co', '60.00', '60.00', 'open'],
      ['INV-000021', 'Parent Co', '140.00', '35.00', 'open'],
    ]);
    expect((await Promise.all([a, b, c, d].map((x) => billing.getCredit(x.id)))).map((x) => [x.status, x.amountLeft])).toEqual([
      ['issued', '0.00'],
      ['issued', '0.00'],
      ['issued', '30.00'],
      ['issued', '0.00'],
    ]);

    // The audit trail shows each step of B with its own before and after.
    const history = await billing.creditHistory(b.id);
    expect(history.filter((e) => e.action === 'disbursed').map((e) => [e.actor, e.before, e.after])).toEqual([
      ['U_BILLER', { amount_left: '250.00', invoice_balance: '10.00' }, { amount_left: '240.00', invoice_balance: '0.00', invoice: 'INV-000018', disbursed: '10.00', automatic: true }],
      ['U_BILLER', { amount_left: '240.00', invoice_balance: '140.00' }, { amount_left: '100.00', invoice_balance: '0.00', invoice: 'INV-000019', disbursed: '140.00', automatic: true }],
      ['U_BILLER', { amount_left: '100.00', invoice_balance: '140.00' }, { amount_left: '0.00', invoice_balance: '40.00', invoice: 'INV-000021', disbursed: '100.00', automatic: true }],
    ]);
    const dHistory = await billing.creditHistory(d.id);
    expect(dHistory.filter((e) => e.action === 'disbursed').map((e) => [e.before, e.after])).toEqual([
      [{ amount_left: '5.00', invoice_balance: '40.00' }, { amount_left: '0.00', invoice_balance: '35.00', invoice: 'INV-000021', disbursed: '5.00', automatic: true }],
    ]);

    // The invoice lists what was disbursed to it.
    expect((await billing.getInvoice('INV-000021')).disbursements.map((x) => [x.credit, x.amount, x.automatic, x.by])).toEqual([
      [b.id, '100.00', true, 'U_BILLER'],
      [d.id, '5.00', true, 'U_BILLER'],
    ]);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('keeps what is left when every unpaid invoice is paid off', async () => {
    const e = await billing.addCredit({ account: 'Parent Co', amount: '1000', detail: 'Big', autoDisburse: true, createdBy: 'U_ANA' });
    await billMonth(billing, 'Parent Co', '2026-12'); // #22 $140; #21 still owes $35
    expect(await billing.getCredit(e.id)).toMatchObject({ amountLeft: '825.00', issuedInvoice: 'INV-000022' });
    expect((await billing.getCredit(e.id)).disbursements.map((x) => [x.invoice, x.amount])).toEqual([
      ['INV-000021', '35.00'],
      ['INV-000022', '140.00'],
    ]);
    expect((await billing.listInvoices('Parent Co')).every((i) => i.status === 'paid')).toBe(true);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});

describe('manual disbursement', () => {
  const t = useTestDatabase();
  let billing: Billing;
  let credit: string; // $80 on Child Co, issued to #18 (Parent Co, $140)
  let small: string; // $10 on Parent Co, issued to #18
  let big: string; // $500 on Parent Co, issued to #20 (Parent Co, $140)
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
    credit = (await billing.addCredit({ account: 'Child Co', amount: '80', detail: 'Outage', createdBy: 'U_ANA' })).id;
    small = (await billing.addCredit({ account: 'Parent Co', amount: '10', detail: 'Small', createdBy: 'U_ANA' })).id;
    await billMonth(billing, 'Child Co', '2026-09'); // #18 Parent Co $140
    await billMonth(billing, 'Other Co', '2026-09'); // #19 Other Co $60
    big = (await billing.addCredit({ account: 'Parent Co', amount: '500', detail: 'Big', createdBy: 'U_ANA' })).id;
    await billMonth(billing, 'Child Co', '2026-10'); // #20 Parent Co $140
  });

  it('disburses part of a credit to one unpaid invoice; balance and amount left change together', async () => {
    const result = await billing.disburseCredit({ credit, invoice: 'INV-000018', amount: '$25.50', actor: 'U_BEN' });
    expect(result).toMatchObject({ disbursed: '25.50', invoice: 'INV-000018', invoiceBalance: '114.50' });
    expect(result.credit).toMatchObject({ amountLeft: '54.50', status: 'issued' });
    expect(result.credit.disbursements).toEqual([
      { id: expect.any(Number), credit, invoice: 'INV-000018', amount: '25.50', automatic: false, by: 'U_BEN', at: expect.any(String) },
    ]);
    const [event] = (await billing.creditHistory(credit)).filter((e) => e.action === 'disbursed');
    expect(event).toMatchObject({
      actor: 'U_BEN',
      before: { amount_left: '80.00', invoice_balance: '140.00' },
      after: { amount_left: '54.50', invoice_balance: '114.50', invoice: 'INV-000018', disbursed: '25.50', automatic: false },
    });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('disburses to any unpaid invoice of the same invoicer, not only the one it was issued to', async () => {
    const result = await billing.disburseCredit({ credit, invoice: '20', amount: '4.50', actor: 'U_BEN' });
    expect(result).toMatchObject({ invoice: 'INV-000020', invoiceBalance: '135.50' });
    expect(result.credit.amountLeft).toBe('50.00');
  });

  it('without an amount, disburses the most allowed (the smaller of amount left and balance)', async () => {
    const result = await billing.disburseCredit({ credit: small, invoice: '18', actor: 'U_BEN' });
    expect(result).toMatchObject({ disbursed: '10.00', invoiceBalance: '104.50' });
    expect(result.credit.amountLeft).toBe('0.00');
  });

  it('disburses once per request key, however often the request arrives', async () => {
    const input = { credit, invoice: '18', amount: '1.00', actor: 'U_BEN', requestKey: 'btn-42' };
    const results = [await billing.disburseCredit(input), ...(await Promise.all([billing.disburseCredit(input), billing.disburseCredit(input)]))];
    expect(results.map((r) => [r.disbursed, r.invoice])).toEqual([
      ['1.00', 'INV-000018'],
      ['1.00', 'INV-000018'],
      ['1.00', 'INV-000018'],
    ]);
    expect(await t.db('disbursements').where('request_key', 'btn-42').count('* as n').first()).toEqual({ n: 1 });
    expect(await billing.getCredit(credit)).toMatchObject({ amountLeft: '49.00' });
    expect((await billing.getInvoice('18')).balance).toBe('103.50');
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it.each([
    ['an unknown credit', () => ({ credit: 'CR-999' }), UnknownCreditError, /^There is no credit CR-999\.$/],
    ['an unknown invoice', () => ({ invoice: 'INV-000999' }), UnknownInvoiceError, /^There is no invoice INV-000999\.$/],
    ['an invoice of another invoicer', () => ({ invoice: '19' }), DisbursementRefusedError, /INV-000019 belongs to Other Co/],
    ['a zero amount', () => ({ amount: '0' }), InvalidAmountError, /zero/],
    ['a negative amount', () => ({ amount: '-1.00' }), InvalidAmountError, /negative/],
    ['an over-precise amount', () => ({ amount: '1.005' }), InvalidAmountError, /more decimal places/],
    ['text for an amount', () => ({ amount: 'all' }), InvalidAmountError, /Expected an amount/],
    ['more than the amount left', () => ({ amount: '49.01' }), DisbursementRefusedError, /has only \$49\.00 left to disburse; \$49\.01 is more than that/],
    ['more than the balance', () => ({ credit: big, invoice: '20', amount: '136' }), DisbursementRefusedError, /^INV-000020 has a balance of \$135\.50; \$136\.00 is more than that\.$/],
    ['a malformed credit id', () => ({ credit: 'seven' }), InvalidInputError, /not a credit id/],
    ['a malformed invoice number', () => ({ invoice: 'next one' }), InvalidInputError, /not an invoice number/],
    ['a missing actor', () => ({ actor: ' ' }), InvalidInputError, /who is disbursing/],
  ])('refuses %s with one sentence and writes nothing', async (_label, change, errorClass, message) => {
    const input = { credit, invoice: '18', amount: '1', actor: 'U_BEN', ...change() };
    const before = await ledgerSnapshot(t.db);
    const error = await refusal(() => billing.disburseCredit(input));
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(message);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('refuses a paid invoice, a credit with nothing left, an unissued credit and a reversed one; nothing is written', async () => {
    expect(await billing.disburseCredit({ credit, invoice: '18', actor: 'U_BEN' })).toMatchObject({ disbursed: '49.00', invoiceBalance: '54.50' });
    expect(await billing.disburseCredit({ credit: big, invoice: '18', actor: 'U_BEN' })).toMatchObject({ disbursed: '54.50', invoiceBalance: '0.00' });
    expect((await billing.getInvoice('18')).status).toBe('paid');
    const waiting = await billing.addCredit({ account: 'Parent Co', amount: '3', detail: 'Not yet', createdBy: 'U_ANA' });
    await billing.reverseCredit(small, 'U_BEN');

    const before = await ledgerSnapshot(t.db);
    const paid = await refusal(() => billing.disburseCredit({ credit: big, invoice: '18', amount: '1', actor: 'U_BEN' }));
    expect(paid).toBeInstanceOf(DisbursementRefusedError);
    expect(paid.message).toBe('INV-000018 is already paid.');
    const nothingLeft = await refusal(() => billing.disburseCredit({ credit, invoice: '20', amount: '0.01', actor: 'U_BEN' }));
    expect(nothingLeft).toBeInstanceOf(DisbursementRefusedError);
    expect(nothingLeft.message).toBe(`${credit} has nothing left to disburse.`);
    const notIssued = await refusal(() => billing.disburseCredit({ credit: waiting.id, invoice: '20', amount: '1', actor: 'U_BEN' }));
    expect(notIssued).toBeInstanceOf(CreditStateError);
    expect(notIssued.message).toMatch(/not issued yet/);
    const reversed = await refusal(() => billing.disburseCredit({ credit: small, invoice: '20', amount: '1', actor: 'U_BEN' }));
    expect(reversed).toBeInstanceOf(CreditStateError);
    expect(reversed.message).toMatch(/reversal pending.*cannot be disbursed/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});

describe('reversing a credit', () => {
  const t = useTestDatabase();
  let billing: Billing;
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
  });

  it('refuses an unissued credit and points to delete; nothing is written', async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '10', detail: 'x', createdBy: 'U_ANA' });
    const before = await ledgerSnapshot(t.db);
    const error = await refusal(() => billing.reverseCredit(credit.id, 'U_BEN'));
    expect(error).toBeInstanceOf(CreditStateError);
    expect(error.message).toBe(`${credit.id} is not issued yet, so there is nothing to reverse; delete it instead (credit delete ${credit.id}).`);
    expect(await ledgerSnapshot(t.db)).toBe(before);
    await billing.deleteCredit(credit.id, 'U_ANA');
  });

  it("marks a child's issued credit reversal pending, then reverses what was disbursed onto the parent's next invoice", async () => {
    const credit = await billing.addCredit({ account: 'Child Co', amount: '50', detail: 'Outage', createdBy: 'U_ANA' });
    await billMonth(billing, 'Child Co', '2026-09'); // #18
    await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '30', actor: 'U_BEN' });

    const pending = await billing.reverseCredit(credit.id, 'U_CAROL');
    expect(pending).toMatchObject({ status: 'reversal pending', amountLeft: '0.00', reversedAmount: '30.00', reversalInvoice: null });
    expect(await billing.getInvoice('18')).toMatchObject({ total: '140.00', balance: '110.00' });

    const before = await ledgerSnapshot(t.db);
    const twice = await refusal(() => billing.reverseCredit(credit.id, 'U_CAROL'));
    expect(twice).toBeInstanceOf(CreditStateError);
    expect(twice.message).toMatch(/already.*reversal pending/);
    expect(await refusal(() => billing.deleteCredit(credit.id, 'U_CAROL'))).toBeInstanceOf(CreditStateError);
    expect(await refusal(() => billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '1', actor: 'U_CAROL' }))).toBeInstanceOf(
      CreditStateError,
    );
    expect(await ledgerSnapshot(t.db)).toBe(before);

    const october = await billMonth(billing, 'Child Co', '2026-10');
    expect(october.totals.reversalsApplied).toBe(1);
    const inv19 = await billing.getInvoice('19');
    expect(inv19).toMatchObject({ invoicer: 'Parent Co', total: '170.00', balance: '170.00' });
    expect(inv19.transactions.filter((x) => x.kind === 'reversed credit')).toEqual([
      expect.objectContaining({ account: 'Child Co', credit: credit.id, amount: '30.00' }),
    ]);
    expect(await billing.getCredit(credit.id)).toMatchObject({ status: 'reversed', reversalInvoice: 'INV-000019', reversedAmount: '30.00', amountLeft: '0.00' });
    expect(await billing.getInvoice('18')).toMatchObject({ total: '140.00', balance: '110.00' });
    expect(await refusal(() => billing.reverseCredit(credit.id, 'U_CAROL'))).toBeInstanceOf(CreditStateError);

    const history = await billing.creditHistory(credit.id);
    expect(history.map((e) => [e.action, e.actor])).toEqual([
      ['added', 'U_ANA'],
      ['issued', 'U_BILLER'],
      ['disbursed', 'U_BEN'],
      ['reversal requested', 'U_CAROL'],
      ['reversed', 'U_BILLER'],
    ]);
    expect(history[3]).toMatchObject({
      before: { status: 'issued', amount_left: '20.00' },
      after: { status: 'reversal pending', amount_left: '0.00', reversed_amount: '30.00' },
    });
    expect(history[4]).toMatchObject({
      before: { status: 'reversal pending' },
      after: { status: 'reversed', reversal_invoice: 'INV-000019', reversed_amount: '30.00' },
    });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('reverses a credit of which nothing was disbursed: no money moves back', async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '40', detail: 'Unused', createdBy: 'U_ANA' });
    await billMonth(billing, 'Child Co', '2026-11'); // #20, issues it
    const pending = await billing.reverseCredit(credit.id, 'U_BEN');
    expect(pending).toMatchObject({ status: 'reversal pending', reversedAmount: '0.00', amountLeft: '0.00' });
    await billMonth(billing, 'Child Co', '2026-12'); // #21
    expect(await billing.getCredit(credit.id)).toMatchObject({ status: 'reversed', reversalInvoice: 'INV-000021', reversedAmount: '0.00' });
    expect(await billing.getInvoice('21')).toMatchObject({ total: '140.00', balance: '140.00' });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});

describe('the credit views', () => {
  const t = useTestDatabase();
  let billing: Billing;
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
  });

  it("lists an account's credits with status, amounts, issued invoice and disbursements, and an invoice's disbursements", async () => {
    const a = await billing.addCredit({ account: 'Parent Co', amount: '50', detail: 'A', createdBy: 'U_ANA' });
    const b = await billing.addCredit({ account: 'Parent Co', amount: '20', detail: 'B', autoDisburse: true, createdBy: 'U_ANA' });
    await billMonth(billing, 'Child Co', '2026-09'); // #18; B auto-disburses $20
    await billing.disburseCredit({ credit: a.id, invoice: '18', amount: '45', actor: 'U_BEN' });
    const c = await billing.addCredit({ account: 'Parent Co', amount: '5', detail: 'C', createdBy: 'U_ANA' });

    const list = await billing.listCredits('parent co');
    expect(list.map((x) => [x.id, x.status, x.amount, x.amountLeft, x.issuedInvoice, x.disbursements.map((d) => [d.invoice, d.amount, d.automatic])])).toEqual([
      [a.id, 'issued', '50.00', '5.00', 'INV-000018', [['INV-000018', '45.00', false]]],
      [b.id, 'issued', '20.00', '0.00', 'INV-000018', [['INV-000018', '20.00', true]]],
      [c.id, 'unissued', '5.00', '5.00', null, []],
    ]);
    expect((await billing.getInvoice('18')).disbursements.map((d) => [d.credit, d.amount, d.by])).toEqual([
      [b.id, '20.00', 'U_BILLER'],
      [a.id, '45.00', 'U_BEN'],
    ]);
    expect(await billing.listCredits('Child Co')).toEqual([]);
    expect(await refusal(() => billing.listCredits('Nobody'))).toBeInstanceOf(UnknownAccountError);
  });

  it('gives no amount as a JavaScript number in any view', async () => {
    const [credit] = await billing.listCredits('Parent Co');
    const history = await billing.creditHistory(credit.id);
    const numbers: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (typeof value === 'number' && !/(quantity|id)$/i.test(path)) numbers.push(path);
      if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    };
    walk({ credit, history, invoice: await billing.getInvoice('18') }, '');
    expect(numbers).toEqual([]);
  });

  it('refuses the history of an unknown credit', async () => {
    const error = await refusal(() => billing.creditHistory('CR-777'));
    expect(error).toBeInstanceOf(UnknownCreditError);
  });
});
