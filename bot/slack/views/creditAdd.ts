import { parseAmount } from '../../../billing';
import { Command, CommandOf, executeCommand } from '../../commands';
import { renderBlocks } from '../../render';
import { executorServices, SlackDeps } from '../deps';
import { announce, tellUser } from '../reply';
import { FieldErrors, fieldError, handleSubmission, Submission, ViewArgs } from './submit';

type CreditAdd = CommandOf<'credit.add'>;

/** The account exists and the amount (and `more` amounts) suit its currency (JPY has no cents): the Add Credit and Record Payment forms. */
export async function checkAccountAmounts(command: Pick<CreditAdd, 'account' | 'amount'>, deps: SlackDeps, more: string[] = []): Promise<FieldErrors | null> {
  try {
    const account = await deps.services.billing.findAccount(command.account);
    for (const amount of [command.amount, ...more]) parseAmount(amount, account.currency);
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
      check: checkAccountAmounts,
      act: runAndAnnounce,
    });
}

/** A form's command done once: a refusal told to the person, a change announced in the channel. */
export async function runAndAnnounce(deps: SlackDeps, { command, where, requestKey, client, logger }: Submission<Command>): Promise<void> {
  const outcome = await executeCommand(executorServices(deps), command, { actor: where.user, channel: where.channel ?? undefined, requestKey });
  if (outcome.kind === 'error') await tellUser(client, logger, where, renderBlocks(outcome));
  else await announce(client, logger, where, renderBlocks(outcome));
}
