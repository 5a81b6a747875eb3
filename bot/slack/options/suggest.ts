import type { AckFn, BlockOptions, BlockSuggestion } from '@slack/bolt';
import type { Logger } from '../../log';
import type { SlackDeps } from '../deps';
import { errorSummary } from '../errors';
import type { PlainTextOption } from '../modals/kit';

export interface OptionsArgs {
  ack: AckFn<BlockOptions>;
  options: BlockSuggestion;
  logger: Logger;
}

/** Slack shows at most 100 options in a menu. */
export const MAX_OPTIONS = 100;

/**
 * An external menu's suggestions as the person types. Only people with a role see any (a menu
 * must not list customers to everyone). Not audited: it is typing, not a command. A failure
 * answers an empty list (and is logged): the menu says nothing matched.
 */
export function suggestions(deps: SlackDeps, what: string, find: (typed: string, options: BlockSuggestion) => Promise<PlainTextOption[]>) {
  return async ({ ack, options, logger }: OptionsArgs): Promise<void> => {
    try {
      if (!(await deps.access.can(options.user.id, 'viewer'))) {
        await ack({ options: [] });
        return;
      }
      const found = await find(options.value ?? '', options);
      await ack({ options: found.slice(0, MAX_OPTIONS) });
    } catch (error) {
      logger.error(`billbot: ${what} search failed: ${errorSummary(error)}`);
      await ack({ options: [] });
    }
  };
}
