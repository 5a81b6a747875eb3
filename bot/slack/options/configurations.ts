import type { SlackDeps } from '../deps';
import { configurationOption } from '../modals/choices';
import { MAX_OPTIONS, suggestions } from './suggest';

/** The Bill Account form's configuration menu when there are more than 100: names containing what was typed, best first. */
export function configurationOptions(deps: SlackDeps) {
  return suggestions(deps, 'configuration', async (typed) => {
    const found = await deps.services.billing.searchConfigurations(typed, MAX_OPTIONS);
    return found.map(configurationOption);
  });
}
