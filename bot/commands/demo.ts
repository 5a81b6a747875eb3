import { type Billing, UnknownAccountError } from '../../billing';
import type { Logger } from '../log';
import { errorOutcome, Outcome } from './execute';

/**
 * Loads DOMAIN.md's worked example (billing loadDemo) into an empty database: the shell's
 * `demo` and `billbot demo`. Refuses, changing nothing, when it is already there.
 */
export async function loadWorkedExample(billing: Billing, log?: Logger): Promise<Outcome> {
  try {
    const loaded = await billing.findAccount('Parent Co').then(
      () => true,
      (e: unknown) => {
        if (e instanceof UnknownAccountError) return false;
        throw e;
      },
    );
    if (loaded) {
      return {
        kind: 'error',
        code: 'demo_loaded',
        message: 'The worked example is already loaded (there is an account named Parent Co), so nothing was changed.',
        reference: null,
      };
    }
    await billing.loadDemo();
    return {
      kind: 'notice',
      title: 'Worked example loaded',
      text:
        'Parent Co and Child Co (which invoices to Parent Co), both in USD; Child Co has the monthly package ' +
        'Managed Network ($100.00 + $40.00 = $140.00) with next bill date 2026-09-15; the bill run configuration ' +
        '"Monthly Billing"; the next invoice is number 18. Try: /bill Child Co from 2026-09-01 to 2026-09-30',
    };
  } catch (error) {
    return errorOutcome(error, log);
  }
}
