import type { types } from '@slack/bolt';
import type { BillRunReport, CreditView } from '../../billing';
import type { Outcome } from '../../bot/commands';
import { blocksToText, escapeMrkdwn, LIST_LIMIT, mrkdwnToText, NOTICE_SHOWN, renderBlocks, slackTime } from '../../bot/render';

function report(overrides: Partial<BillRunReport> = {}): BillRunReport {
  return {
    preview: false,
    run: {
      id: 4,
      status: 'completed',
      configuration: 'Monthly Billing',
      scope: 'account',
      account: 'Child Co',
      periodStart: '2026-09-01',
      periodEnd: '2026-09-30',
      postingDate: '2026-10-02',
      invoiceDate: '2026-10-02',
      startedBy: 'U_FIN',
      error: null,
      createdAt: '2026-10-02T12:00:00.000Z',
      finishedAt: '2026-10-02T12:00:01.000Z',
      batchesDone: 1,
      batchesTotal: 1,
    },
    totals: {
      accountsBilled: 1,
      packagesBilled: 1,
      packagesSkipped: 1,
      charges: 2,
      invoicesCreated: 1,
      invoicedByCurrency: { USD: '140.00' },
      creditsIssued: 1,
      creditsDisbursed: 0,
      reversalsApplied: 0,
    },
    billed: [
      {
        account: 'Child Co',
        package: 'Managed Network',
        periodStart: '2026-09-15',
        periodEnd: '2026-10-14',
        amount: '140.00',
        currency: 'USD',
        nextBillDate: '2026-10-15',
      },
    ],
    skipped: [
      {
        account: 'Child Co',
        package: 'Backup',
        reason: 'not due',
        nextBillDate: '2026-11-03',
        message: 'next bill date 2026-11-03 is after the period end 2026-09-30; a period from 2026-11-01 to 2026-11-30 would include it',
      },
    ],
    invoices: [{ number: 'INV-000018', invoicer: 'Parent Co', currency: 'USD', total: '140.00', balance: '1234.50', status: 'open' }],
    truncated: false,
    ...overrides,
  };
}

function credit(overrides: Partial<CreditView> = {}): CreditView {
  return {
    id: 'CR-7',
    account: 'Parent Co',
    currency: 'USD',
    unitAmount: '50.00',
    quantity: 1,
    amount: '50.00',
    amountLeft: '50.00',
    date: '2026-09-02',
    detail: 'Service outage',
    autoDisburse: false,
    status: 'unissued',
    issuedInvoice: null,
    reversedAmount: null,
    reversalInvoice: null,
    createdBy: 'U_FIN',
    disbursements: [],
    ...overrides,
  };
}

/** Every mrkdwn string in the blocks (and the fallback text). */
function mrkdwnStrings(rendered: { text: string; blocks: types.KnownBlock[] }): string[] {
  const out = [rendered.text];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(rendered.blocks);
  return out;
}

describe('renderBlocks: bill run report', () => {
  it('shows the run, period, invoice with formatted money, what was billed and each skip with its reason', () => {
    const rendered = renderBlocks({ kind: 'bill.report', report: report() });
    const text = blocksToText(rendered.blocks);
    expect(text).toContain('Bill run #4 completed');
    expect(text).toContain('2026-09-01 to 2026-09-30');
    expect(text).toMatch(/INV-000018\* to \*Parent Co\*: total \$140\.00, balance \$1,234\.50 \(open\)/);
    expect(text).toContain('Managed Network: 2026-09-15 to 2026-10-14, $140.00; next bill date 2026-10-15');
    expect(text).toContain('Backup: next bill date 2026-11-03 is after the period end 2026-09-30; a period from 2026-11-01 to 2026-11-30 would include it');
    expect(text).not.toContain('nothing was written');
    expect(rendered.text).toBe('Bill run #4 completed: Child Co using Monthly Billing, 2026-09-01 to 2026-09-30: 1 invoice (INV-000018), total $140.00, 1 account billed, 1 skipped.');
    expect(rendered.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Bill run #4 completed', emoji: false } });
  });

  it('says a preview wrote nothing', () => {
    const rendered = renderBlocks({ kind: 'bill.report', report: report({ preview: true }) });
    expect(blocksToText(rendered.blocks)).toContain('Preview — nothing was written');
    expect(rendered.text).toContain('nothing was written');
    expect(blocksToText(rendered.blocks)).toContain('Invoices it would create (1)');
  });

  it('cuts long lists to fit a Slack message and counts the rest from the run, not from the rows fetched', () => {
    // A report holds the first 200 rows of each list; the run billed 300 packages.
    const billed = Array.from({ length: 200 }, (_, i) => ({ ...report().billed[0], account: `Account ${i}` }));
    const totals = { ...report().totals, accountsBilled: 300, packagesBilled: 300 };
    const rendered = renderBlocks({ kind: 'bill.report', report: report({ billed, totals }) });
    expect(rendered.blocks.length).toBeLessThanOrEqual(50);
    for (const s of mrkdwnStrings(rendered)) expect(s.length).toBeLessThanOrEqual(3000);
    expect(blocksToText(rendered.blocks)).toContain(`…and ${300 - NOTICE_SHOWN.billed} more`);
  });

  it('shows a failed run with its error', () => {
    const failed = report({ run: { ...report().run, status: 'failed', error: 'deadlock detected' }, invoices: [] });
    expect(blocksToText(renderBlocks({ kind: 'bill.report', report: failed }).blocks)).toContain('The run failed:* deadlock detected');
  });
});

describe('renderBlocks: user text is shown literally', () => {
  const hostile = 'Evil <!channel> & <@U999> <https://x.example|click>';

  it.each<[string, Outcome]>([
    ['an account name in a report', { kind: 'bill.report', report: report({ run: { ...report().run, account: hostile }, invoices: [{ ...report().invoices[0], invoicer: hostile }] }) }],
    ['a credit detail', { kind: 'credit', action: 'added', credit: credit({ detail: hostile, account: hostile }) }],
    ['a credit list', { kind: 'credit.list', account: hostile, credits: [credit({ detail: hostile })] }],
    ['an error message', { kind: 'error', code: 'unknown_account', message: `There is no account named "${hostile}".`, reference: null }],
  ])('escapes &, < and > in %s so nothing becomes a mention or link', (_, outcome) => {
    const rendered = renderBlocks(outcome);
    const strings = mrkdwnStrings(rendered);
    expect(strings.join('\n')).toContain('&lt;!channel&gt; &amp; &lt;@U999&gt;');
    for (const s of strings) {
      expect(s).not.toContain('<!channel>');
      expect(s).not.toContain('<@U999>');
    }
    // ...and the text rendering shows exactly what was typed.
    expect(blocksToText(rendered.blocks)).toContain(hostile);
  });
});

describe('renderBlocks: credits, invoices, help', () => {
  it('renders an added credit with its amount and what happens next', () => {
    const text = blocksToText(renderBlocks({ kind: 'credit', action: 'added', credit: credit({ quantity: 3, unitAmount: '10.00', amount: '30.00' }) }).blocks);
    expect(text).toContain('Credit *CR-7* of $30.00 added to *Parent Co*: “Service outage”.');
    expect(text).toContain('$30.00 (3 × $10.00)');
    expect(text).toContain('/credit delete CR-7');
  });

  it('renders a disbursement with the new balance', () => {
    const text = blocksToText(
      renderBlocks({
        kind: 'credit.disbursed',
        credit: credit({ status: 'issued', amountLeft: '0.00', issuedInvoice: 'INV-000018' }),
        disbursed: '50.00',
        invoice: 'INV-000018',
        invoiceBalance: '90.00',
      }).blocks,
    );
    expect(text).toContain('Disbursed $50.00 of CR-7 to INV-000018: its balance is now $90.00, and CR-7 has $0.00 left to disburse.');
  });

  it('renders an invoice with its transactions and disbursements', () => {
    const text = blocksToText(
      renderBlocks({
        kind: 'invoice',
        invoice: {
          id: 1,
          number: 'INV-000019',
          invoicer: 'Parent Co',
          billRunId: 3,
          invoiceDate: '2026-10-02',
          dueDate: '2026-11-01',
          postingDate: '2026-10-02',
          periodStart: '2026-10-01',
          periodEnd: '2026-10-31',
          currency: 'USD',
          total: '190.00',
          balance: '190.00',
          status: 'open',
          transactions: [
            { kind: 'charge', account: 'Child Co', package: 'Managed Network', service: 'Support', credit: null, periodStart: '2026-10-15', periodEnd: '2026-11-14', quantity: 1, amount: '40.00', postingDate: '2026-10-02' },
            { kind: 'reversed credit', account: 'Parent Co', package: null, service: null, credit: 'CR-7', periodStart: null, periodEnd: null, quantity: 1, amount: '50.00', postingDate: '2026-10-02' },
          ],
          disbursements: [],
        },
      }).blocks,
    );
    expect(text).toContain('Invoice INV-000019');
    expect(text).toContain('*Total:* $190.00');
    expect(text).toContain('*Child Co* — Managed Network / Support, 2026-10-15 to 2026-11-14: $40.00');
    expect(text).toContain('*Parent Co* — reversed credit CR-7: $50.00');
    expect(text).toContain('*Disbursements:* none');
  });

  it('renders help with every form, angle brackets escaped for Slack', () => {
    const rendered = renderBlocks({ kind: 'help', topic: null });
    const text = blocksToText(rendered.blocks);
    expect(text).toContain('/credit add <account> <amount> <detail...> [auto]');
    expect(text).toContain('/billing access grant|revoke <@user> viewer|operator|admin');
    expect(mrkdwnStrings(rendered).join('\n')).not.toContain('<account>');
  });
});

describe('blocksToText', () => {
  it('turns each kind of block into readable lines', () => {
    const blocks: types.KnownBlock[] = [
      { type: 'header', text: { type: 'plain_text', text: 'Title' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Bold* stays, &lt;tags&gt; &amp; <https://example.com|a link> and <@U123|alice>' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Total:* $1.00' }, { type: 'plain_text', text: 'Plain & simple' }] },
      { type: 'divider' },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'one' }, { type: 'plain_text', text: 'two' }] },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Reverse' }, action_id: 'x' }] },
    ];
    expect(blocksToText(blocks)).toBe(
      [
        'Title',
        '=====',
        '',
        '*Bold* stays, <tags> & a link (https://example.com) and @alice',
        '',
        '*Total:* $1.00',
        'Plain & simple',
        '----------------------------------------',
        'one  ·  two',
        '[Reverse]',
      ].join('\n'),
    );
  });

  it('reads mentions and specials the way Slack shows them', () => {
    expect(mrkdwnToText('<!here> <#C1|general> <@U1> <mailto:a@b.example|a@b.example>')).toBe('@here #general @U1 a@b.example');
    expect(mrkdwnToText(escapeMrkdwn('<!channel> & co'))).toBe('<!channel> & co');
  });

  it('reads a Slack date token as its fallback (the time in the named zone), never the token', () => {
    const token = slackTime(new Date('2026-11-01T05:00:00Z'), 'Europe/Paris');
    expect(token).toBe('<!date^1793509200^{date_short} {time}|2026-11-01 06:00 (Europe/Paris)>');
    expect(mrkdwnToText(`Next run: ${token}.`)).toBe('Next run: 2026-11-01 06:00 (Europe/Paris).');
    expect(mrkdwnToText(slackTime(new Date('2026-11-01T05:00:00Z'), 'UTC', false))).toBe('2026-11-01 05:00');
  });
});
