import type { AckFn, BlockAction, ButtonAction, Logger, RespondFn } from '@slack/bolt';
import { executeCommand, validateCommand } from '../../commands';
import { renderBlocks } from '../../render';
import { authorize } from '../access';
import { readButtonValue } from '../confirm';
import { executorServices, SlackDeps, WebClient } from '../deps';
import { describeFailure } from '../errors';
import { ephemeral, inChannel } from '../reply';
import { buttonRequestKey } from '../requestKeys';

/** What a button listener uses (a subset of Bolt's arguments, so tests can pass fakes). */
export interface ButtonArgs {
  ack: AckFn<void>;
  body: BlockAction<ButtonAction>;
  action: ButtonAction;
  respond: RespondFn;
  client: WebClient;
  logger: Logger;
}

/**
 * A confirmed click on "Reverse CR-7" / "Delete CR-7": acknowledged, checked against the
 * person's role (audited), done once (a second click finds the credit already changed and
 * billing refuses), the button replaced by the result and the channel told.
 */
export async function handleCreditButton(deps: SlackDeps, kind: 'credit.reverse' | 'credit.delete', args: ButtonArgs): Promise<void> {
  const { ack, body, action, respond, logger } = args;
  await ack();
  await deps.tasks.run(
    async () => {
      const value = readButtonValue(action.value);
      const user = body.user.id;
      const channel = body.channel?.id ?? null;
      const audit = { user, channel, command: `button:${action.action_id}`, input: action.value ?? '' };
      if (!value) {
        await respond(ephemeral('That button is not one billbot understands any more; type the command again.', { replace_original: false }));
        return;
      }
      const command = validateCommand({ kind, credit: value.credit });
      const refused = await authorize(deps, audit, command);
      if (refused) {
        await respond(ephemeral(refused, { replace_original: false }));
        return;
      }
      const requestKey = buttonRequestKey(value.request);
      if (!deps.recent.claim(requestKey)) return; // the same click delivered twice
      const outcome = await executeCommand(executorServices(deps), command, { actor: user, channel: channel ?? undefined, requestKey });
      const rendered = renderBlocks(outcome);
      if (outcome.kind === 'error') {
        await respond(ephemeral(rendered, { replace_original: true }));
        return;
      }
      await respond(ephemeral(`Done: ${rendered.text}`, { replace_original: true }));
      await respond(inChannel(rendered, { replace_original: false }));
    },
    async (error) => {
      await respond(ephemeral(`:warning: ${describeFailure(error, logger, 'the button')}`, { replace_original: false }));
    },
  );
}
