import type { types } from '@slack/bolt';
import type { CreditView } from '../../billing';
import type { Outcome } from '../commands/execute';
import { bold, escapeMrkdwn } from './mrkdwn';
import { context, header, list, money, plural, section, type Rendered } from './kit';

/** Credits: one added, deleted, reversed or disbursed; an account's credits; the confirmation before a reverse or delete. */

function creditSummary(c: CreditView): string {
  const parts = [
    `${c.id}`,
    bold(c.account),
    c.quantity > 1 ? `${money(c.amount, c.currency)} (${c.quantity} × ${money(c.unitAmount, c.currency)})` : money(c.amount, c.currency),
    c.status,
  ];
  if (c.issuedInvoice) parts.push(`issued to ${c.issuedInvoice}`);
  if (c.status === 'issued') parts.push(`${money(c.amountLeft, c.currency)} left to disburse`);
  if (c.reversedAmount !== null) parts.push(`reversed ${money(c.reversedAmount, c.currency)}${c.reversalInvoice ? ` on ${c.reversalInvoice}` : ''}`);
  parts.push(`automatic disbursement ${c.autoDisburse ? 'on' : 'off'}`);
  return `${parts.join(' · ')} — “${escapeMrkdwn(c.detail)}”`;
}

export function renderCredit(action: 'added' | 'deleted' | 'reversed', c: CreditView): Rendered {
  const amount = money(c.amount, c.currency);
  let text: string;
  let next: string;
  switch (action) {
    case 'added':
      text = `Credit *${c.id}* of ${amount} added to ${bold(c.account)}: “${escapeMrkdwn(c.detail)}”.`;
      next = `It is ${c.status}: it is issued onto the next invoice when ${escapeMrkdwn(c.account)} is billed, and until then it can be deleted (/credit delete ${c.id}).`;
      break;
    case 'deleted':
      text = `Credit *${c.id}* of ${amount} on ${bold(c.account)} is deleted.`;
      next = 'Its record is kept with the status deleted.';
      break;
    case 'reversed': {
      const reversed = money(c.reversedAmount ?? '0', c.currency);
      text = `Credit *${c.id}* of ${amount} on ${bold(c.account)} is ${c.status}.`;
      next =
        `The amount disbursed so far, ${reversed}, goes onto the next invoice as a reversed credit when ${escapeMrkdwn(c.account)} is billed` +
        (c.issuedInvoice ? `; ${c.issuedInvoice} is unchanged.` : '.');
      break;
    }
  }
  return { text, blocks: [section(text), section(next), context(creditSummary(c))] };
}

export function renderCreditList(account: string, credits: CreditView[]): Rendered {
  const title = `Credits of ${account}`;
  if (credits.length === 0) {
    const text = `${escapeMrkdwn(account)} has no credits.`;
    return { text, blocks: [header(title), section(text)] };
  }
  return {
    text: `${plural(credits.length, 'credit')} of ${escapeMrkdwn(account)}`,
    blocks: [header(title), ...list(plural(credits.length, 'credit'), credits.map(creditSummary))],
  };
}

export function renderCreditDisbursed(outcome: Extract<Outcome, { kind: 'credit.disbursed' }>): Rendered {
  const c = outcome.credit;
  const text =
    `Disbursed ${money(outcome.disbursed, c.currency)} of ${c.id} to ${outcome.invoice}: ` +
    `its balance is now ${money(outcome.invoiceBalance, c.currency)}, and ${c.id} has ${money(c.amountLeft, c.currency)} left to disburse.`;
  return { text, blocks: [section(text), context(creditSummary(c))] };
}

/** What each change does, in the message and (shorter) in the dialog. */
const EFFECT = {
  reverse:
    'Reversing puts what was disbursed back onto the next invoice as a reversed credit; the part not disbursed is no longer available. The invoice it was issued to does not change.',
  delete: 'Deleting is possible only while the credit is not issued; its record is kept with the status deleted.',
} as const;

/**
 * The question before `/credit reverse` or `/credit delete`: what the credit is and what the
 * change does, with a button behind a confirmation dialog (`button`: its Slack action id and value).
 * The credit's details (an account name of 200 characters, a detail of 500) are in the message;
 * the dialog is short fixed wording (Slack: title 100 characters, text 300, buttons 30).
 */
export function renderCreditConfirmation(credit: CreditView, action: 'reverse' | 'delete', button: { actionId: string; value: string }): Rendered {
  const amount = (value: string) => money(value, credit.currency);
  const verb = action === 'reverse' ? 'Reverse' : 'Delete';
  const about =
    `*${credit.id}*: ${amount(credit.amount)} on ${bold(credit.account)} (“${escapeMrkdwn(credit.detail)}”), ${credit.status}` +
    (credit.issuedInvoice ? `, issued to ${credit.issuedInvoice}, ${amount(credit.amountLeft)} left to disburse` : '') +
    '.';
  const confirmButton: types.Button = {
    type: 'button',
    action_id: button.actionId,
    text: { type: 'plain_text', text: `${verb} ${credit.id}` },
    style: 'danger',
    value: button.value,
    confirm: {
      title: { type: 'plain_text', text: `${verb} ${credit.id}?` },
      text: {
        type: 'mrkdwn',
        text: `${verb} credit ${credit.id} of ${amount(credit.amount)}, as described in the message? ${action === 'reverse' ? 'What was disbursed goes onto the next invoice as a reversed credit.' : 'Its record is kept with the status deleted.'}`,
      },
      confirm: { type: 'plain_text', text: verb },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    },
  };
  return {
    text: `${verb} ${credit.id}? Press the button to confirm.`,
    blocks: [section(`${verb} ${about}\n${EFFECT[action]}`), { type: 'actions', elements: [confirmButton] }],
  };
}
