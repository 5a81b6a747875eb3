import type { SlackDeps } from '../deps';
import { accountOption } from '../modals/choices';
import { MAX_OPTIONS, suggestions } from './suggest';

export type { OptionsArgs } from './suggest';

/**
 * The account picker's suggestions: accounts whose name contains what was typed, best first,
 * at most 100. The value is the account's id; a long name is shortened in the text.
 */
export function accountOptions(deps: SlackDeps) {
  return suggestions(deps, 'account', async (typed) => {
    const found = await deps.services.billing.searchAccounts(typed, MAX_OPTIONS);
    return found.map((a) => accountOption(a, [a.displayName, a.currency, a.status === 'active' ? null : a.status].filter(Boolean).join(' · ')));
  });
}
