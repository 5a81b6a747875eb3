import { createBilling } from '../../billing';
import { executeCommand, loadWorkedExample, Outcome, parseCommand, SlashCommand } from '../../bot/commands';
import { blocksToText, renderBlocks } from '../../bot/render';
import type { Logger } from '../../bot/log';
import { useTestDatabase } from '../helpers/db';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (...msg: unknown[]) => {
    lines.push(msg.map(String).join(' '));
  };
  return { lines, debug: () => undefined, info: push, warn: push, error: push };
}

function expectKind<K extends Outcome['kind']>(outcome: Outcome, kind: K): Extract<Outcome, { kind: K }> {
  if (outcome.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<Outcome, { kind: K }>;
}

describe('executeCommand: the worked example of DOMAIN.md, typed as commands', () => {
  const t = useTestDatabase();
  const clock = { now: () => new Date('2026-10-02T12:00:00Z') };
  const ctx = { actor: 'U_FIN', channel: 'C_BILLING' };

  const type = async (command: SlashCommand, text: string, extra: { requestKey?: string } = {}) => {
    const services = { billing: createBilling(t.db, clock), log: recordingLogger() };
    return executeCommand(services, parseCommand(command, text), { ...ctx, ...extra });
  };

  it('bills the child to the parent, issues, disburses and reverses the credit with the exact numbers', async () => {
    const billing = createBilling(t.db, clock);
    expectKind(await loadWorkedExample(billing), 'notice');
    expect(expectKind(await loadWorkedExample(billing), 'error').code).toBe('demo_loaded');

    // A $50.00 credit to Parent Co, automatic disbursement off: unissued.
    const added = expectKind(await type('/credit', 'add Parent Co $50.00 Service outage'), 'credit');
    expect(added.credit).toMatchObject({ account: 'Parent Co', amount: '50.00', status: 'unissued', autoDisburse: false, createdBy: 'U_FIN' });
    const id = added.credit.id;

    // Bill Child Co for September: #18 under Parent Co, $140.00.
    const september = expectKind(await type('/bill', 'Child Co using Monthly Billing from 2026-09-01 to 2026-09-30'), 'bill.report');
    expect(september.report.run).toMatchObject({ status: 'completed', startedBy: 'U_FIN', account: 'Child Co' });
    expect(september.report.invoices).toEqual([
      { number: 'INV-000018', invoicer: 'Parent Co', currency: 'USD', total: '140.00', balance: '140.00', status: 'open' },
    ]);
    expect(september.report.billed).toEqual([
      expect.objectContaining({ account: 'Child Co', periodStart: '2026-09-15', periodEnd: '2026-10-14', amount: '140.00', nextBillDate: '2026-10-15' }),
    ]);
    const text = blocksToText(renderBlocks(september).blocks);
    expect(text).toContain('INV-000018* to *Parent Co*: total $140.00, balance $140.00');

    const inv18 = expectKind(await type('/billing', 'invoice 18'), 'invoice');
    expect(inv18.invoice.transactions.map((x) => [x.kind, x.account, x.amount])).toEqual([
      ['charge', 'Child Co', '100.00'],
      ['charge', 'Child Co', '40.00'],
    ]);

    // The credit is issued to #18 and can no longer be deleted.
    const listed = expectKind(await type('/credit', 'list Parent Co'), 'credit.list');
    expect(listed.credits).toEqual([expect.objectContaining({ id, status: 'issued', issuedInvoice: 'INV-000018', amountLeft: '50.00' })]);
    const refused = expectKind(await type('/credit', `delete ${id}`), 'error');
    expect(refused).toMatchObject({ code: 'credit_state', reference: null });
    expect(refused.message).toContain('reverse it instead');

    // Billing the same period again creates nothing new and says why.
    const again = expectKind(await type('/bill', 'Child Co from 2026-09-01 to 2026-09-30'), 'bill.report');
    expect(again.report.invoices).toEqual([]);
    expect(again.report.skipped).toEqual([expect.objectContaining({ reason: 'already billed', message: expect.stringContaining('INV-000018') })]);

    // Disburse $50.00 to #18: balance $90.00, $0.00 left; one more cent refused.
    const disbursed = expectKind(await type('/credit', `disburse ${id} INV-000018 50.00`), 'credit.disbursed');
    expect(disbursed).toMatchObject({ disbursed: '50.00', invoice: 'INV-000018', invoiceBalance: '90.00' });
    expect(disbursed.credit.amountLeft).toBe('0.00');
    const oneCent = expectKind(await type('/credit', `disburse ${id} 18 0.01`), 'error');
    expect(oneCent).toMatchObject({ code: 'disbursement_refused' });
    expect(oneCent.message).toContain('nothing left to disburse');

    // Reverse: #18 unchanged; October carries the charge and +$50.00.
    const reversed = expectKind(await type('/credit', `reverse ${id}`), 'credit');
    expect(reversed).toMatchObject({ action: 'reversed', credit: { status: 'reversal pending', reversedAmount: '50.00' } });
    expect(expectKind(await type('/billing', 'invoice INV-000018'), 'invoice').invoice).toMatchObject({ total: '140.00', balance: '90.00' });

    const october = expectKind(await type('/bill', 'Child Co from 2026-10-01 to 2026-10-31'), 'bill.report');
    expect(october.report.invoices).toEqual([
      { number: 'INV-000019', invoicer: 'Parent Co', currency: 'USD', total: '190.00', balance: '190.00', status: 'open' },
    ]);
    const inv19 = expectKind(await type('/billing', 'invoice 19'), 'invoice');
    expect(inv19.invoice.transactions.map((x) => [x.kind, x.account, x.amount])).toEqual([
      ['charge', 'Child Co', '100.00'],
      ['charge', 'Child Co', '40.00'],
      ['reversed credit', 'Parent Co', '50.00'],
    ]);
    const finalCredit = expectKind(await type('/credit', 'list "Parent Co"'), 'credit.list').credits[0];
    expect(finalCredit).toMatchObject({ status: 'reversed', reversalInvoice: 'INV-000019' });

    const invoices = expectKind(await type('/billing', 'invoices Parent Co'), 'invoice.list');
    expect(invoices.invoices.map((i) => [i.number, i.total, i.balance])).toEqual([
      ['INV-000018', '140.00', '90.00'],
      ['INV-000019', '190.00', '190.00'],
    ]);
  });

  it('previews without writing anything', async () => {
    const before = await t.db('invoices').count('* as n').first();
    const preview = expectKind(await type('/bill', 'Child Co from 2026-11-01 to 2026-11-30 preview'), 'bill.report');
    expect(preview.report.preview).toBe(true);
    expect(preview.report.invoices).toEqual([expect.objectContaining({ invoicer: 'Parent Co', total: '140.00' })]);
    expect(await t.db('invoices').count('* as n').first()).toEqual(before);
  });

  it('never bills twice for one request key', async () => {
    const first = expectKind(await type('/bill', 'Child Co from 2026-11-01 to 2026-11-30', { requestKey: 'view-123' }), 'bill.report');
    const second = expectKind(await type('/bill', 'Child Co from 2026-11-01 to 2026-11-30', { requestKey: 'view-123' }), 'bill.report');
    expect(second.report.run.id).toBe(first.report.run.id);
    expect(first.report.invoices).toHaveLength(1);
    expect(second.report.invoices).toEqual(first.report.invoices);
  });

  it('turns billing refusals into their own sentence', async () => {
    const unknown = expectKind(await type('/bill', 'Chld Co'), 'error');
    expect(unknown).toMatchObject({ code: 'unknown_account', reference: null });
    expect(unknown.message).toBe('There is no account named "Chld Co". Did you mean "Child Co"?');
    const negative = expectKind(await type('/credit', 'add Parent Co -5 Oops'), 'error');
    expect(negative.code).toBe('invalid_amount');
    expect(await t.db('credits').where('detail', 'Oops').count('* as n').first()).toEqual({ n: 0 });
  });

  it('reports an unexpected failure with a reference, logs it, and shows no stack trace', async () => {
    const log = recordingLogger();
    const billing = { ...createBilling(t.db, clock), listCredits: async () => Promise.reject(new Error('socket hang up')) };
    const outcome = expectKind(
      await executeCommand({ billing, log }, parseCommand('/credit', 'list Parent Co'), ctx),
      'error',
    );
    expect(outcome.code).toBe('internal');
    expect(outcome.reference).toMatch(/^[0-9a-f]{8}$/);
    expect(outcome.message).toContain(`Something went wrong (reference ${outcome.reference})`);
    expect(outcome.message).not.toContain('socket hang up');
    expect(log.lines.join('\n')).toContain(outcome.reference as string);
    expect(log.lines.join('\n')).toContain('socket hang up');
  });

  it('leaves forms and Slack-only commands to the faces, and runs plugged-in handlers', async () => {
    const billing = createBilling(t.db, clock);
    expect(await executeCommand({ billing }, parseCommand('/bill', ''), ctx)).toMatchObject({ kind: 'error', code: 'needs_form' });
    expect(await executeCommand({ billing }, parseCommand('/billing', 'access grant <@U1AB> viewer'), ctx)).toMatchObject({
      kind: 'error',
      code: 'not_available',
    });
    const seen: unknown[] = [];
    const handled = await executeCommand(
      {
        billing,
        // What only a face can do (roles: Slack's) is plugged in as the face's hook.
        face: {
          name: 'slack',
          access: async (command, context) => {
            seen.push([command.user, command.role, context.actor]);
            return { kind: 'notice', title: null, text: 'granted' };
          },
        },
      },
      parseCommand('/billing', 'access grant <@U1AB> viewer'),
      ctx,
    );
    expect(handled).toEqual({ kind: 'notice', title: null, text: 'granted' });
    expect(seen).toEqual([['U1AB', 'viewer', 'U_FIN']]);
  });
});
