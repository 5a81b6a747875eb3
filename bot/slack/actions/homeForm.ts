import type { AckFn, BlockAction, ButtonAction } from '@slack/bolt';
import type { Logger } from '../../log';
import { validateCommand, type ModalCommand } from '../../commands';
import { authorize } from '../access';
import type { SlackDeps, WebClient } from '../deps';
import { describeFailure } from '../errors';
import { messageView } from '../modals/kit';
import { MODALS, openModal } from '../modals/open';

/** What a Home tab button's listener uses (a subset of Bolt's arguments; a Home tab has no response_url). */
export interface HomeButtonArgs {
  ack: AckFn<void>;
  body: BlockAction<ButtonAction>;
  action: ButtonAction;
  client: WebClient;
  logger: Logger;
}

/**
 * A Home tab button that opens a form: acknowledged at once, checked against the person's role
 * (audited, as the slash command is), then the form is opened on the click's trigger, as the
 * slash command opens it. A refusal, or a failure, is shown in a small modal on the same trigger.
 */
async function openHomeForm(deps: SlackDeps, kind: ModalCommand['kind'], args: HomeButtonArgs): Promise<void> {
  const { ack, body, action, client, logger } = args;
  await ack();
  const title = MODALS[kind].title;
  const tell = (text: string) => client.views.open({ trigger_id: body.trigger_id, view: messageView(title, text) }).then(() => undefined);
  await deps.tasks.run(
    async () => {
      const modal = validateCommand({ kind }) as ModalCommand;
      const refused = await authorize(deps, { user: body.user.id, channel: null, command: `button:${action.action_id}`, input: '' }, modal);
      if (refused) return tell(refused);
      await openModal(deps, client, logger, body.trigger_id, { channel: null, modal, version: 0 });
    },
    async (error) => {
      await tell(`:warning: ${describeFailure(error, logger, 'the form')}`).catch(() => undefined);
    },
  );
}

/** "Bill an account" on the Home tab: the Bill Account form. */
export function homeBillAccountAction(deps: SlackDeps) {
  return (args: HomeButtonArgs): Promise<void> => openHomeForm(deps, 'bill.modal', args);
}

/** "Add a credit" on the Home tab: the Add Credit form. */
export function homeAddCreditAction(deps: SlackDeps) {
  return (args: HomeButtonArgs): Promise<void> => openHomeForm(deps, 'credit.add.modal', args);
}
