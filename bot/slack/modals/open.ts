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

/** A modal Slack has opened: its id and hash, for views.update. */
export interface OpenedView {
  id: string;
  hash?: string;
}

/**
 * The form's small "loading" view, opened at once on the trigger (a trigger id expires 3
 * seconds after Slack sent it): before any database work, the role check and the audit
 * included, so that a slow database cannot make the form fail to open.
 */
export async function openLoading(client: WebClient, triggerId: string, form: ModalCommand): Promise<OpenedView> {
  const modal = MODALS[form.kind];
  const opened = await client.views
    .open({ trigger_id: triggerId, view: loadingView(modal.title, modal.callbackId) })
    .catch((error: { data?: { error?: string } }) => {
      if (error?.data?.error === 'expired_trigger_id') {
        throw new SlackRequestError('The form could not be opened in time (Slack allows 3 seconds); please run the command again.');
      }
      throw error;
    });
  const id = opened.view?.id;
  if (!id) throw new Error('views.open answered without a view id');
  return { id, hash: opened.view?.hash };
}

/** Shows one sentence (a refusal, a failure) in place of the opened view. */
export async function tellInView(client: WebClient, opened: OpenedView, form: ModalCommand, text: string): Promise<void> {
  await client.views.update({ view_id: opened.id, hash: opened.hash, view: messageView(MODALS[form.kind].title, text) });
}

/** The form, built from the data (a failure is shown in the view instead), in place of the opened loading view. */
export async function fillOpened(deps: SlackDeps, client: WebClient, logger: Logger, opened: OpenedView, meta: ModalMetadata): Promise<void> {
  const modal = MODALS[meta.modal.kind];
  let view: ModalView;
  try {
    view = await modal.build(deps.services.billing, meta);
  } catch (error) {
    view = messageView(modal.title, describeFailure(error, logger, 'the form'));
  }
  await client.views.update({ view_id: opened.id, hash: opened.hash, view });
}
