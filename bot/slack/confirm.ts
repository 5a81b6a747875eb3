import { z } from 'zod';
import type { CommandOf, ConfirmedChange } from '../commands';
import { renderCreditConfirmation, renderPaymentConfirmation } from '../render';
import { buttonValueReader } from './buttons';
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
/** `/payment reverse <payment> <reason>`: the same, the button's value carrying the payment and the reason. */
export const PAYMENT_REVERSE_ACTION = 'payment_reverse';

export const buttonValueSchema = z.object({
  credit: z.string().min(1).max(30),
  request: z.string().uuid(),
});
export type ButtonValue = z.infer<typeof buttonValueSchema>;

/** Reads a button's value; null when it is not one of ours. */
export const readButtonValue = buttonValueReader(buttonValueSchema);

export async function confirmMessage(deps: SlackDeps, command: ConfirmedChange, action: 'reverse' | 'delete'): Promise<Message> {
  if ('payment' in command) return paymentConfirmMessage(deps, command);
  const credit = await deps.services.billing.getCredit(command.credit);
  const value: ButtonValue = { credit: credit.id, request: newRequestId() };
  return renderCreditConfirmation(credit, action, {
    actionId: action === 'reverse' ? REVERSE_ACTION : DELETE_ACTION,
    value: JSON.stringify(value),
  });
}

export const paymentButtonSchema = z.object({
  payment: z.string().min(1).max(30),
  reason: z.string().min(1).max(500),
  request: z.string().uuid(),
});
export type PaymentButtonValue = z.infer<typeof paymentButtonSchema>;
export const readPaymentButton = buttonValueReader(paymentButtonSchema);

async function paymentConfirmMessage(deps: SlackDeps, command: CommandOf<'payment.reverse'>): Promise<Message> {
  const payment = await deps.services.billing.getPayment(command.payment);
  const value: PaymentButtonValue = { payment: payment.number, reason: command.reason, request: newRequestId() };
  return renderPaymentConfirmation(payment, command.reason, { actionId: PAYMENT_REVERSE_ACTION, value: JSON.stringify(value) });
}
