import { parseAmount } from '../../../billing';
import { CommandOf, executeCommand } from '../../commands';
import { renderBlocks } from '../../render';
import { executorServices, SlackDeps } from '../deps';
import { announce, tellUser } from '../reply';
import { FieldErrors, fieldError, handleSubmission, ViewArgs } from './submit';

type CreditAdd = CommandOf<'credit.add'>;

/** The account exists and the amount suits its currency (JPY has no cents). */
export async function checkCreditAdd(command: CreditAdd, deps: SlackDeps): Promise<FieldErrors | null> {
  try {
    const account = await deps.services.billing.findAccount(command.account);
    parseAmount(command.amount, account.currency);
    return null;
  } catch (error) {
    return fieldError(error, { unknown_account: 'account', invalid_amount: 'amount' }, 'amount');
  }
}

/** The Add Credit form's submission: the credit is added once, and the channel told. */
export function creditAddSubmission(deps: SlackDeps) {
  return (args: ViewArgs): Promise<void> =>
    handleSubmission<CreditAdd>(deps, args, {
      modal: 'credit.add.modal',
      defaultField: 'amount',
      check: checkCreditAdd,
      act: async (d, { command, where, requestKey, client, logger }) => {
        const outcome = await executeCommand(executorServices(d), command, { actor: where.user, channel: where.channel ?? undefined, requestKey });
        if (outcome.kind === 'error') await tellUser(client, logger, where, renderBlocks(outcome));
        else await announce(client, logger, where, renderBlocks(outcome));
      },
    });
}
