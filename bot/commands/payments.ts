import type { Billing } from '../../billing';
import type { CommandOf } from './schema';
import type { CommandContext, Outcome } from './types';

/** The handlers of the payment commands: record, list and reverse, each calling billing once. */

export async function recordPayment(billing: Billing, command: CommandOf<'payment.add'>, ctx: CommandContext): Promise<Outcome> {
  const { payment, created } = await billing.recordPaymentOnce(
    {
      account: command.account,
      amount: command.amount,
      reference: command.reference,
      receivedOn: command.receivedOn,
      method: command.method,
      to: command.to,
      requestKey: ctx.requestKey ?? null,
    },
    ctx.actor,
  );
  // A repeated request (a retry on another process): recorded once, announced once.
  if (!created) {
    return { kind: 'error', code: 'already_done', message: `This request already recorded ${payment.number} on ${payment.account}, so it is not recorded again.`, reference: null };
  }
  return { kind: 'payment', action: 'recorded', payment };
}

export async function reversePayment(billing: Billing, command: CommandOf<'payment.reverse'>, ctx: CommandContext): Promise<Outcome> {
  return { kind: 'payment', action: 'reversed', payment: await billing.reversePayment(command.payment, command.reason, ctx.actor) };
}

export async function listPayments(billing: Billing, command: CommandOf<'payment.list'>): Promise<Outcome> {
  const account = await billing.findAccount(command.account);
  return { kind: 'payment.list', account: account.name, payments: await billing.listPayments(account.name) };
}
