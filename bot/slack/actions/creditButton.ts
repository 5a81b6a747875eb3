import { executeCommand, validateCommand } from '../../commands';
import { renderBlocks } from '../../render';
import { ButtonArgs, handleAuthorizedClick } from '../buttons';
import { readButtonValue } from '../confirm';
import { executorServices, SlackDeps } from '../deps';
import { ephemeral, inChannel } from '../reply';
import { buttonRequestKey } from '../requestKeys';

export type { ButtonArgs } from '../buttons';

/**
 * A confirmed click on "Reverse CR-7" / "Delete CR-7": acknowledged, checked against the
 * person's role (audited), done once (a second click finds the credit already changed and
 * billing refuses), the button replaced by the result and the channel told.
 */
export async function handleCreditButton(deps: SlackDeps, kind: 'credit.reverse' | 'credit.delete', args: ButtonArgs): Promise<void> {
  const { respond } = args;
  await handleAuthorizedClick(
    deps,
    args,
    {
      read: readButtonValue,
      command: (value) => validateCommand({ kind, credit: value.credit }),
      stale: 'That button is not one billbot understands any more; type the command again.',
      what: 'the button',
    },
    async ({ value, command, user, channel }) => {
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
  );
}
