import { z } from 'zod';
import type { types } from '@slack/bolt';
import { Money } from '../../billing/money';
import type { CommandOf } from '../commands';
import { escapeMrkdwn } from '../render';
import type { SlackDeps } from './deps';
import type { Message } from './reply';
import { newRequestId } from './requestKeys';

/**
 * `/credit reverse <credit>` and `/credit delete <credit>` answer with a button behind a
 * confirmation dialog; the click does it. The button's value carries the credit and a request
 * id (the click's request key).
 */
export const REVERSE_ACTION = 'credit_reverse';
export const DELETE_ACTION = 'credit_delete';

export const buttonValueSchema = z.object({
  credit: z.string().min(1).max(30),
  request: z.string().uuid(),
});
export type ButtonValue = z.infer<typeof buttonValueSchema>;

/** Reads a button's value; null when it is not one of ours. */
export function readButtonValue(value: string | undefined): ButtonValue | null {
  try {
    const parsed = buttonValueSchema.safeParse(JSON.parse(value ?? ''));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function confirmMessage(deps: SlackDeps, command: CommandOf<'credit.reverse'> | CommandOf<'credit.delete'>): Promise<Message> {
  const credit = await deps.services.billing.getCredit(command.credit);
  const money = (amount: string) => Money.exact(amount, credit.currency).format();
  const reverse = command.kind === 'credit.reverse';
  const verb = reverse ? 'Reverse' : 'Delete';
  const about =
    `*${credit.id}*: ${money(credit.amount)} on *${escapeMrkdwn(credit.account)}* (“${escapeMrkdwn(credit.detail)}”), ${credit.status}` +
    (credit.issuedInvoice ? `, issued to ${credit.issuedInvoice}, ${money(credit.amountLeft)} left to disburse` : '') +
    '.';
  const effect = reverse
    ? 'Reversing puts what was disbursed back onto the next invoice as a reversed credit; the part not disbursed is no longer available. The invoice it was issued to does not change.'
    : 'Deleting is possible only while the credit is not issued; its record is kept with the status deleted.';
  const value: ButtonValue = { credit: credit.id, request: newRequestId() };
  const button: types.Button = {
    type: 'button',
    action_id: reverse ? REVERSE_ACTION : DELETE_ACTION,
    text: { type: 'plain_text', text: `${verb} ${credit.id}` },
    style: 'danger',
    value: JSON.stringify(value),
    confirm: {
      title: { type: 'plain_text', text: `${verb} ${credit.id}?` },
      text: { type: 'mrkdwn', text: `${about}\n${effect}` },
      confirm: { type: 'plain_text', text: verb },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    },
  };
  return {
    text: `${verb} ${credit.id}? Press the button to confirm.`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${verb} ${about}\n${effect}` } },
      { type: 'actions', elements: [button] },
    ],
  };
}
