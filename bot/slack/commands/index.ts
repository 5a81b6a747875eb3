import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import { billCommand } from './bill';
import { billingCommand } from './billing';
import { creditCommand } from './credit';
import { paymentCommand } from './payment';

/** One listener per slash command; Slack sends `/credit add ...` as "/credit" with text "add ...". */
export function register(app: App, deps: SlackDeps): void {
  app.command('/bill', billCommand(deps));
  app.command('/credit', creditCommand(deps));
  app.command('/payment', paymentCommand(deps));
  app.command('/billing', billingCommand(deps));
}
