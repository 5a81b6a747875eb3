import type { Billing } from '../../billing';
import type { CommandOf } from './schema';
import type { CommandContext, CreditChange, Outcome, RunCommand } from './types';

/**
 * The handlers of the command table that only call billing: bill now, the credit operations
 * and the lists. (Schedules are in schedules.ts, workbooks in workbooks.ts.)
 */

/** A repeated request's answer, only to the requester: what the first one did. */
function alreadyDone(message: string): Outcome {
  return { kind: 'error', code: 'already_done', message, reference: null };
}

/** A bill run (or its preview) done here and now; bill runs report each batch to ctx.onProgress. */
export async function billNow(billing: Billing, command: RunCommand, account: string | null, ctx: CommandContext): Promise<Outcome> {
  const request = {
    account,
    configuration: command.configuration,
    from: command.from,
    to: command.to,
    posting: command.posting,
    startedBy: ctx.actor,
    requestKey: ctx.requestKey ?? null,
  };
  const report = command.preview ? await billing.previewBill(request) : await billing.bill(request, { onProgress: ctx.onProgress });
  return { kind: 'bill.report', report };
}

export async function addCredit(billing: Billing, command: CommandOf<'credit.add'>, ctx: CommandContext): Promise<Outcome> {
  const { credit, created } = await billing.addCreditOnce({
    account: command.account,
    amount: command.amount,
    detail: command.detail,
    quantity: command.quantity,
    autoDisburse: command.autoDisburse,
    createdBy: ctx.actor,
    requestKey: ctx.requestKey ?? null,
  });
  // A repeated request (a retry on another process): done once, announced once.
  if (!created) return alreadyDone(`This request already added ${credit.id} to ${credit.account}, so it is not added again.`);
  return { kind: 'credit', action: 'added', credit };
}

export async function disburseCredit(billing: Billing, command: CommandOf<'credit.disburse'>, ctx: CommandContext): Promise<Outcome> {
  const { created, ...result } = await billing.disburseCreditOnce({
    credit: command.credit,
    invoice: command.invoice,
    amount: command.amount,
    actor: ctx.actor,
    requestKey: ctx.requestKey ?? null,
  });
  if (!created) return alreadyDone(`This request already disbursed ${result.disbursed} of ${result.credit.id} to ${result.invoice}, so it is not disbursed again.`);
  return { kind: 'credit.disbursed', ...result };
}

export async function reverseCredit(billing: Billing, command: CreditChange, ctx: CommandContext): Promise<Outcome> {
  return { kind: 'credit', action: 'reversed', credit: await billing.reverseCredit(command.credit, ctx.actor) };
}

export async function deleteCredit(billing: Billing, command: CreditChange, ctx: CommandContext): Promise<Outcome> {
  return { kind: 'credit', action: 'deleted', credit: await billing.deleteCredit(command.credit, ctx.actor) };
}

export async function listCredits(billing: Billing, command: CommandOf<'credit.list'>): Promise<Outcome> {
  const account = await billing.findAccount(command.account);
  return { kind: 'credit.list', account: account.name, credits: await billing.listCredits(account.name) };
}

export async function listInvoices(billing: Billing, command: CommandOf<'invoice.list'>): Promise<Outcome> {
  const account = await billing.findAccount(command.account);
  return { kind: 'invoice.list', account: account.name, invoices: await billing.listInvoices(account.name) };
}
