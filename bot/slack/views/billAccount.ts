import { periodFor, todayIn } from '../../../billing';
import { CommandOf, executeCommand } from '../../commands';
import { renderBlocks } from '../../render';
import { runBill } from '../billRun';
import { executorServices, SlackDeps } from '../deps';
import { tellUser } from '../reply';
import { FieldErrors, fieldError, handleSubmission, ViewArgs } from './submit';

type Bill = CommandOf<'bill'>;

/**
 * Before anything is billed: the account and configuration exist, the account is active, and
 * (the common surprise) at least one package's next bill date is inside the period; if none
 * is, the period field says so and names the next bill dates.
 */
export async function checkBill(command: Bill, deps: SlackDeps): Promise<FieldErrors | null> {
  const billing = deps.services.billing;
  try {
    const account = await billing.findAccount(command.account);
    if (account.status !== 'active') return { account: `${account.name} is ${account.status}; only active accounts can be billed.` };
    const config = await billing.findConfiguration(command.configuration);
    if (!config.billPackages) return null;
    const billingPeriod =
      command.from && command.to ? { start: command.from, end: command.to } : periodFor(config, todayIn(config.timeZone, billing.clock.now()));
    const due = await billing.packagesDue(account.name, billingPeriod);
    if (due.length === 0) return { account: `${account.name} has no active package to bill (nor has any account that invoices to it).` };
    if (due.some((d) => d.inPeriod)) return null;
    const dates = due
      .slice(0, 5)
      .map((d) => `${d.nextBillDate} (${d.package}${d.account === account.name ? '' : ` on ${d.account}`})`)
      .join(', ');
    return {
      from:
        `No package of ${account.name} has its next bill date between ${billingPeriod.start} and ${billingPeriod.end}, so nothing would be billed. ` +
        `Next bill dates: ${dates}${due.length > 5 ? ', …' : ''}. Choose a period that includes one.`,
    };
  } catch (error) {
    return fieldError(error, { unknown_account: 'account', account_not_billable: 'account', unknown_configuration: 'configuration', invalid_period: 'from', invalid_date: 'from' }, 'account');
  }
}

/** The Bill Account form's submission: a preview (for the requester only) or a bill run. */
export function billAccountSubmission(deps: SlackDeps) {
  return (args: ViewArgs): Promise<void> =>
    handleSubmission<Bill>(deps, args, {
      modal: 'bill.modal',
      defaultField: 'account',
      accessField: 'preview',
      check: checkBill,
      act: async (d, { command, where, requestKey, client, logger }) => {
        if (command.preview) {
          const outcome = await executeCommand(executorServices(d), command, { actor: where.user, channel: where.channel ?? undefined });
          await tellUser(client, logger, where, renderBlocks(outcome));
          return;
        }
        await runBill(d, client, command, { ...where, requestKey, tell: (m) => tellUser(client, logger, where, m) });
      },
    });
}
