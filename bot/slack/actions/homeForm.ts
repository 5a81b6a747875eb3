import type { AckFn, BlockAction, ButtonAction } from '@slack/bolt';
import type { Logger } from '../../log';
import { validateCommand, type ModalCommand } from '../../commands';
import { authorize } from '../access';
import type { SlackDeps, WebClient } from '../deps';
import { describeFailure } from '../errors';
import { messageView } from '../modals/kit';
import { fillOpened, MODALS, openLoading, tellInView, type OpenedView } from '../modals/open';

/** What a Home tab button's listener uses (a subset of Bolt's arguments; a Home tab has no response_url). */
export interface HomeButtonArgs {
  ack: AckFn<void>;
  body: BlockAction<ButtonAction>;
  action: ButtonAction;
  client: WebClient;
  logger: Logger;
}

/**
 * A Home tab button that opens a form: acknowledged at once, the form's loading view opened on
 * the click's trigger (valid 3 s) before any database work, then checked against the person's
 * role (audited, as the slash command is) and filled. A refusal, or a failure, is shown in the
 * view (or, when it could not be opened, in a small modal of its own).
 */
async function openHomeForm(deps: SlackDeps, kind: ModalCommand['kind'], args: HomeButtonArgs): Promise<void> {
  const { ack, body, action, client, logger } = args;
  await ack();
  const modal = validateCommand({ kind }) as ModalCommand;
  let opened: OpenedView | null = null;
  const tell = (text: string) =>
    opened ? tellInView(client, opened, modal, text) : client.views.open({ trigger_id: body.trigger_id, view: messageView(MODALS[kind].title, text) }).then(() => undefined);
  await deps.tasks.run(
    async () => {
      opened = await openLoading(client, body.trigger_id, modal);
      const refused = await authorize(deps, { user: body.user.id, channel: null, command: `button:${action.action_id}`, input: '' }, modal);
      if (refused) return tell(refused);
      await fillOpened(deps, client, logger, opened, { channel: null, modal, version: 0 });
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
