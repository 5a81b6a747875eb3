import type { types } from '@slack/bolt';
import { Money, type PaymentApplicationView, type PaymentView } from '../../billing';
import { bold, escapeMrkdwn } from './mrkdwn';
import { context, header, list, money, plural, section, type Rendered } from './kit';

/** Payments: one recorded or reversed (what it paid or gave back, and the balances after); an account's payments; the question before a reversal. */

function about(p: PaymentView): string {
  const parts = [`received ${p.receivedOn}`];
  if (p.method) parts.push(escapeMrkdwn(p.method));
  if (p.reference) parts.push(`reference “${escapeMrkdwn(p.reference)}”`);
  return parts.join(', ');
}

function invoiceLine(a: PaymentApplicationView, currency: string, verb: string): string {
  const state = `${a.invoiceStatus}${a.overdue ? ', overdue' : ''}`;
  return `${a.invoice}: ${money(a.amount, currency)} ${verb} · balance ${money(a.invoiceBalance, currency)} (${state})${a.automatic ? ' · by a bill run' : ''}`;
}

function paymentSummary(p: PaymentView): string {
  const paid = p.applications.filter((a) => a.kind === 'applied').map((a) => `${a.invoice} ${money(a.amount, p.currency)}`);
  const parts = [p.number, bold(p.account), money(p.amount, p.currency), about(p), p.status];
  parts.push(paid.length ? `paid ${paid.join(', ')}` : 'paid no invoice');
  if (p.status === 'recorded') parts.push(`${money(p.unapplied, p.currency)} unapplied`);
  if (p.reversalReason) parts.push(`reversed: “${escapeMrkdwn(p.reversalReason)}”`);
  return parts.join(' · ');
}

export function renderPayment(action: 'recorded' | 'reversed', p: PaymentView): Rendered {
  const amount = money(p.amount, p.currency);
  if (action === 'reversed') {
    const back = p.applications.filter((a) => a.kind === 'reversed');
    const text = `Payment *${p.number}* of ${amount} from ${bold(p.account)} is reversed: “${escapeMrkdwn(p.reversalReason ?? '')}”.`;
    const lines = back.map((a) => invoiceLine(a, p.currency, 'back on its balance'));
    return {
      text,
      blocks: [section(text), ...(lines.length ? list('Given back', lines) : [section('It had paid no invoice, so no balance changes.')]), context(paymentSummary(p))],
    };
  }
  const applied = p.applications.filter((a) => a.kind === 'applied');
  const text = `Payment *${p.number}* of ${amount} from ${bold(p.account)} recorded (${about(p)}).`;
  const unapplied = money(p.unapplied, p.currency);
  const rest = Money.exact(p.unapplied, p.currency).isZero()
    ? null
    : `${unapplied} is unapplied: it pays ${escapeMrkdwn(p.account)}'s next invoices, oldest first, when they are made.`;
  const lines = applied.map((a) => invoiceLine(a, p.currency, 'paid'));
  return {
    text,
    blocks: [section(text), ...(lines.length ? list('Paid', lines) : []), ...(rest ? [section(rest)] : []), context(paymentSummary(p))],
  };
}

export function renderPaymentList(account: string, payments: PaymentView[]): Rendered {
  const title = `Payments of ${account}`;
  if (payments.length === 0) {
    const text = `${escapeMrkdwn(account)} has no payments.`;
    return { text, blocks: [header(title), section(text)] };
  }
  return {
    text: `${plural(payments.length, 'payment')} of ${escapeMrkdwn(account)}`,
    blocks: [header(title), ...list(plural(payments.length, 'payment'), payments.map(paymentSummary))],
  };
}

/**
 * The question before `/payment reverse`: the payment, what it paid and the reason in the
 * message; a button behind a short, fixed confirmation dialog (Slack: title 100 characters,
 * text 300, buttons 30).
 */
export function renderPaymentConfirmation(p: PaymentView, reason: string, button: { actionId: string; value: string }): Rendered {
  const paid = p.applications.filter((a) => a.kind === 'applied').map((a) => `${a.invoice}: ${money(a.amount, p.currency)} goes back onto its balance`);
  const confirmButton: types.Button = {
    type: 'button',
    action_id: button.actionId,
    text: { type: 'plain_text', text: `Reverse ${p.number}` },
    style: 'danger',
    value: button.value,
    confirm: {
      title: { type: 'plain_text', text: `Reverse ${p.number}?` },
      text: { type: 'mrkdwn', text: `Reverse payment ${p.number} of ${money(p.amount, p.currency)}, as described in the message? What it paid goes back onto each invoice's balance.` },
      confirm: { type: 'plain_text', text: 'Reverse' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    },
  };
  const text = `Reverse *${p.number}*: ${money(p.amount, p.currency)} from ${bold(p.account)} (${about(p)}), because “${escapeMrkdwn(reason)}”?`;
  return {
    text: `Reverse ${p.number}? Press the button to confirm.`,
    blocks: [
      section(text),
      ...(paid.length ? list('What changes', paid) : [section('It paid no invoice; its unapplied amount is no longer available.')]),
      { type: 'actions', elements: [confirmButton] },
    ],
  };
}
