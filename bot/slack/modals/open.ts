import type { Logger } from '../../log';
import type { ModalCommand } from '../../commands';
import type { SlackDeps, WebClient } from '../deps';
import { describeFailure, SlackRequestError } from '../errors';
import { billAccountView, BILL_ACCOUNT_CALLBACK } from './billAccount';
import { creditAddView, CREDIT_ADD_CALLBACK } from './creditAdd';
import { creditDisburseView, CREDIT_DISBURSE_CALLBACK } from './creditDisburse';
import { paymentAddView, PAYMENT_ADD_CALLBACK } from './paymentAdd';
import { loadingView, messageView, ModalMetadata, ModalView } from './kit';

type Builder = (billing: SlackDeps['services']['billing'], meta: ModalMetadata) => Promise<ModalView>;

export const MODALS: Record<ModalCommand['kind'], { title: string; callbackId: string; build: Builder }> = {
  'bill.modal': { title: 'Bill account', callbackId: BILL_ACCOUNT_CALLBACK, build: (b, m) => billAccountView(b, m) },
  'credit.add.modal': { title: 'Add credit', callbackId: CREDIT_ADD_CALLBACK, build: creditAddView },
  'credit.disburse.modal': { title: 'Disburse credit', callbackId: CREDIT_DISBURSE_CALLBACK, build: creditDisburseView },
  'payment.add.modal': { title: 'Record payment', callbackId: PAYMENT_ADD_CALLBACK, build: paymentAddView },
};

/**
 * Opens a modal for a modal command: a small "loading" view at once (the trigger id expires
 * 3 seconds after Slack sent it), then the real form through views.update once its data is read.
 */
export async function openModal(deps: SlackDeps, client: WebClient, logger: Logger, triggerId: string, meta: ModalMetadata): Promise<void> {
  const modal = MODALS[meta.modal.kind];
  const opened = await client.views
    .open({ trigger_id: triggerId, view: loadingView(modal.title, modal.callbackId) })
    .catch((error: { data?: { error?: string } }) => {
      if (error?.data?.error === 'expired_trigger_id') {
        throw new SlackRequestError('The form could not be opened in time (Slack allows 3 seconds); please run the command again.');
      }
      throw error;
    });
  let view: ModalView;
  try {
    view = await modal.build(deps.services.billing, meta);
  } catch (error) {
    view = messageView(modal.title, describeFailure(error, logger, 'the form'));
  }
  const viewId = opened.view?.id;
  if (!viewId) throw new Error('views.open answered without a view id');
  await client.views.update({ view_id: viewId, hash: opened.view?.hash, view });
}
