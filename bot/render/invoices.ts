import type { InvoiceDetail, Outcome } from '../commands/execute';
import { bold, escapeMrkdwn } from './mrkdwn';
import { fields, header, list, money, plural, section, type KnownBlock, type Rendered } from './kit';

/** Invoices: one invoice with its transactions and disbursements; an account's invoices. */

export function renderInvoice(invoice: InvoiceDetail): Rendered {
  const cur = invoice.currency;
  const blocks: KnownBlock[] = [
    header(`Invoice ${invoice.number}`),
    ...fields([
      ['Invoiced account', bold(invoice.invoicer)],
      ['Status', invoice.status],
      ['Total', money(invoice.total, cur)],
      ['Balance', money(invoice.balance, cur)],
      ['Invoice date', invoice.invoiceDate],
      ['Due date', invoice.dueDate],
      ['Posting date', invoice.postingDate],
      ['Billing period', `${invoice.periodStart} to ${invoice.periodEnd}`],
      ['Bill run', `#${invoice.billRunId}`],
    ]),
  ];
  blocks.push(
    ...list(
      `Transactions (${invoice.transactions.length})`,
      invoice.transactions.map((t) =>
        t.kind === 'charge'
          ? `${bold(t.account)} — ${escapeMrkdwn(t.package ?? '')}${t.service ? ` / ${escapeMrkdwn(t.service)}` : ''}` +
            `${t.periodStart ? `, ${t.periodStart} to ${t.periodEnd}` : ''}${t.quantity > 1 ? `, quantity ${t.quantity}` : ''}: ${money(t.amount, cur)}`
          : `${bold(t.account)} — reversed credit ${t.credit ?? ''}: ${money(t.amount, cur)}`,
      ),
      100,
    ),
  );
  if (invoice.disbursements.length) {
    blocks.push(
      ...list(
        `Disbursements (${invoice.disbursements.length})`,
        invoice.disbursements.map(
          (d) => `${d.credit}: ${money(d.amount, cur)} (${d.automatic ? 'automatic' : 'manual'}, by ${escapeMrkdwn(d.by)}, ${d.at.slice(0, 10)})`,
        ),
      ),
    );
  } else {
    blocks.push(section('*Disbursements:* none'));
  }
  return {
    text: `Invoice ${invoice.number} to ${escapeMrkdwn(invoice.invoicer)}: total ${money(invoice.total, cur)}, balance ${money(invoice.balance, cur)} (${invoice.status})`,
    blocks,
  };
}

export function renderInvoiceList(outcome: Extract<Outcome, { kind: 'invoice.list' }>): Rendered {
  const title = `Invoices of ${outcome.account}`;
  if (outcome.invoices.length === 0) {
    const text = `${escapeMrkdwn(outcome.account)} has received no invoice yet.`;
    return { text, blocks: [header(title), section(text)] };
  }
  const lines = outcome.invoices.map(
    (i) =>
      `*${i.number}* ${i.invoiceDate}, period ${i.periodStart} to ${i.periodEnd}: total ${money(i.total, i.currency)}, balance ${money(i.balance, i.currency)} (${i.status})`,
  );
  return {
    text: `${plural(outcome.invoices.length, 'invoice')} of ${escapeMrkdwn(outcome.account)}`,
    blocks: [header(title), ...list(`${plural(outcome.invoices.length, 'invoice')}`, lines)],
  };
}
