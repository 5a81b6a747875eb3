import { Money, parseAmount } from '../../../billing';
import { CommandOf, executeCommand } from '../../commands';
import { renderBlocks } from '../../render';
import { executorServices, SlackDeps } from '../deps';
import { announce, tellUser } from '../reply';
import { FieldErrors, fieldError, handleSubmission, ViewArgs } from './submit';

type Disburse = CommandOf<'credit.disburse'>;

/**
 * The amount suits the currency and is within both the credit's amount left and the chosen
 * invoice's balance. (billing checks again when it disburses; this is to mark the field.)
 */
export async function checkDisburse(command: Disburse, deps: SlackDeps): Promise<FieldErrors | null> {
  try {
    // Only the chosen invoice is read, wherever it stands among the invoicer's unpaid ones.
    const { credit, invoices } = await deps.services.billing.disbursementTargets(command.credit, { invoice: command.invoice, limit: 1 });
    if (credit.status !== 'issued') return null; // billing's own sentence follows
    const left = Money.exact(credit.amountLeft, credit.currency);
    if (left.isZero()) return { amount: `${credit.id} has nothing left to disburse.` };
    const target = invoices[0];
    if (!command.amount || !target) return null;
    const amount = parseAmount(command.amount, credit.currency);
    const most = Money.exact(target.most, credit.currency);
    if (amount.gt(most)) {
      return {
        amount:
          `At most ${most.format()} can go from ${credit.id} to ${target.number}: ${credit.id} has ${left.format()} left ` +
          `and ${target.number} a balance of ${Money.exact(target.balance, credit.currency).format()}.`,
      };
    }
    return null;
  } catch (error) {
    return fieldError(error, { unknown_credit: 'credit', invalid_input: 'credit', invalid_amount: 'amount', unknown_invoice: 'invoice' }, 'amount');
  }
}

/** The Disburse Credit form's submission: disbursed once, and the channel told. */
export function creditDisburseSubmission(deps: SlackDeps) {
  return (args: ViewArgs): Promise<void> =>
    handleSubmission<Disburse>(deps, args, {
      modal: 'credit.disburse.modal',
      defaultField: 'amount',
      given: (meta) => (meta.modal.kind === 'credit.disburse.modal' && meta.modal.credit ? { credit: meta.modal.credit } : {}),
      check: checkDisburse,
      act: async (d, { command, where, requestKey, client, logger }) => {
        const outcome = await executeCommand(executorServices(d), command, { actor: where.user, channel: where.channel ?? undefined, requestKey });
        if (outcome.kind === 'error') await tellUser(client, logger, where, renderBlocks(outcome));
        else await announce(client, logger, where, renderBlocks(outcome));
      },
    });
}
