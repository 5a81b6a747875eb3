import type { App, ViewSubmitAction } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import { BILL_ACCOUNT_CALLBACK } from '../modals/billAccount';
import { CREDIT_ADD_CALLBACK } from '../modals/creditAdd';
import { CREDIT_DISBURSE_CALLBACK } from '../modals/creditDisburse';
import { billAccountSubmission } from './billAccount';
import { creditAddSubmission } from './creditAdd';
import { creditDisburseSubmission } from './creditDisburse';
import { PAYMENT_ADD_CALLBACK } from '../modals/paymentAdd';
import { paymentAddSubmission } from './paymentAdd';

/** One listener per form submission (view_submission, by callback id). */
export function register(app: App, deps: SlackDeps): void {
  app.view<ViewSubmitAction>(BILL_ACCOUNT_CALLBACK, billAccountSubmission(deps));
  app.view<ViewSubmitAction>(CREDIT_ADD_CALLBACK, creditAddSubmission(deps));
  app.view<ViewSubmitAction>(CREDIT_DISBURSE_CALLBACK, creditDisburseSubmission(deps));
  app.view<ViewSubmitAction>(PAYMENT_ADD_CALLBACK, paymentAddSubmission(deps));
}
