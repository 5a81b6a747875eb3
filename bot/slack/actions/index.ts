import type { App, BlockAction, ButtonAction, ExternalSelectAction, StaticSelectAction } from '@slack/bolt';
import { HOME_BILL_ACTION, HOME_CREDIT_ACTION, HOME_EXPORT_ACTION } from '../../render';
import { DELETE_ACTION, REVERSE_ACTION } from '../confirm';
import type { SlackDeps } from '../deps';
import { CONFIGURATION_ACTION } from '../modals/billAccount';
import { billConfigurationAction } from './billConfiguration';
import { creditDeleteAction } from './creditDelete';
import { creditReverseAction } from './creditReverse';
import { PAYMENT_REVERSE_ACTION, paymentReverseAction } from './paymentReverse';
import { paymentAccountAction } from './paymentAccount';
import { ACCOUNT_ACTION } from '../modals/kit';
import { PAYMENT_ADD_CALLBACK } from '../modals/paymentAdd';
import { RESUME_ACTION, resumeRunAction } from '../runStatus';
import { CANCEL_IMPORT_ACTION, CONFIRM_IMPORT_ACTION } from '../uploads';
import { homeExportAction } from './homeExport';
import { homeAddCreditAction, homeBillAccountAction } from './homeForm';
import { importCancelAction, importConfirmAction } from './importDecision';
import * as invoicePdf from './invoicePdf';

/** One listener per interactive element (block_actions, by action id). */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: REVERSE_ACTION }, creditReverseAction(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: DELETE_ACTION }, creditDeleteAction(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: PAYMENT_REVERSE_ACTION }, paymentReverseAction(deps));
  app.action<BlockAction<ExternalSelectAction>>({ type: 'block_actions', action_id: ACCOUNT_ACTION, callback_id: PAYMENT_ADD_CALLBACK }, paymentAccountAction(deps));
  app.action<BlockAction<StaticSelectAction>>({ type: 'block_actions', action_id: CONFIGURATION_ACTION }, billConfigurationAction(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: RESUME_ACTION }, resumeRunAction(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: CONFIRM_IMPORT_ACTION }, importConfirmAction(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: CANCEL_IMPORT_ACTION }, importCancelAction(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: HOME_BILL_ACTION }, homeBillAccountAction(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: HOME_CREDIT_ACTION }, homeAddCreditAction(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: HOME_EXPORT_ACTION }, homeExportAction(deps));
  invoicePdf.register(app, deps);
}
