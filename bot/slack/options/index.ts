import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import { CONFIGURATION_ACTION } from '../modals/billAccount';
import { DISBURSE_INVOICE_ACTION } from '../modals/creditDisburse';
import { ACCOUNT_ACTION } from '../modals/kit';
import { accountOptions } from './accounts';
import { configurationOptions } from './configurations';
import { invoiceOptions } from './invoices';

/** One listener per external select (block_suggestion, by action id). */
export function register(app: App, deps: SlackDeps): void {
  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: ACCOUNT_ACTION }, accountOptions(deps));
  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: CONFIGURATION_ACTION }, configurationOptions(deps));
  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: DISBURSE_INVOICE_ACTION }, invoiceOptions(deps));
}
