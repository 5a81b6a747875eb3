import type { AckFn, BlockOptions, BlockSuggestion } from '@slack/bolt';
import type { Logger } from '../../log';
import type { SlackDeps } from '../deps';
import { errorSummary } from '../errors';
import { option } from '../modals/kit';

export interface OptionsArgs {
  ack: AckFn<BlockOptions>;
  options: BlockSuggestion;
  logger: Logger;
}

/**
 * The account picker's suggestions: accounts whose name contains what was typed. Only people
 * with a role see any (the picker must not list customers to everyone). Not audited: it is
 * typing, not a command.
 */
export function accountOptions(deps: SlackDeps) {
  return async ({ ack, options, logger }: OptionsArgs): Promise<void> => {
    try {
      if (!(await deps.access.can(options.user.id, 'viewer'))) {
        await ack({ options: [] });
        return;
      }
      const found = await deps.services.billing.searchAccounts(options.value ?? '', 50);
      await ack({
        options: found.map((a) =>
          option(a.name, a.name, [a.displayName, a.currency, a.status === 'active' ? null : a.status].filter(Boolean).join(' · ')),
        ),
      });
    } catch (error) {
      logger.error(`billbot: account search failed: ${errorSummary(error)}`);
      await ack({ options: [] });
    }
  };
}
