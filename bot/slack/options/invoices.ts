import type { SlackDeps } from '../deps';
import { invoiceOption } from '../modals/creditDisburse';
import { readMetadata } from '../modals/kit';
import { MAX_OPTIONS, suggestions } from './suggest';

/**
 * The Disburse Credit form's invoice menu when the invoicer has more than 100 unpaid
 * invoices: those whose number contains the digits typed (all, oldest first, when nothing is
 * typed). The credit comes from the form's metadata.
 */
export function invoiceOptions(deps: SlackDeps) {
  return suggestions(deps, 'invoice', async (typed, options) => {
    const meta = readMetadata(options.view?.private_metadata, 'credit.disburse.modal');
    const credit = meta.modal.kind === 'credit.disburse.modal' ? meta.modal.credit : null;
    if (!credit) return [];
    const targets = await deps.services.billing.disbursementTargets(credit, { search: typed, limit: MAX_OPTIONS });
    return targets.invoices.map((i) => invoiceOption(targets.credit, i));
  });
}
