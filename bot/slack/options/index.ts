import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import { ACCOUNT_ACTION } from '../modals/kit';
import { accountOptions } from './accounts';

/** One listener per external select (block_suggestion, by action id). */
export function register(app: App, deps: SlackDeps): void {
  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: ACCOUNT_ACTION }, accountOptions(deps));
}
