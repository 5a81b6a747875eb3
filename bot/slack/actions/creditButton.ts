import { validateCommand, type Command } from '../../commands';
import { renderBlocks } from '../../render';
import { ButtonArgs, handleCommandClick } from '../buttons';
import { readButtonValue } from '../confirm';
import type { SlackDeps } from '../deps';
import { ephemeral, inChannel } from '../reply';

export type { ButtonArgs } from '../buttons';

/**
 * A confirmed click on "Reverse CR-7" / "Delete CR-7": acknowledged, checked against the
 * person's role (audited), done once (a second click finds the credit already changed and
 * billing refuses), the button replaced by the result and the channel told.
 */
export async function handleCreditButton(deps: SlackDeps, kind: 'credit.reverse' | 'credit.delete', args: ButtonArgs): Promise<void> {
  await answerConfirmedClick(deps, args, { read: readButtonValue, command: (value) => validateCommand({ kind, credit: value.credit }) });
}

/** Any confirmed button that stands for a change: done once, the button replaced by the result, the channel told. */
export async function answerConfirmedClick<V extends { request: string }>(
  deps: SlackDeps,
  args: ButtonArgs,
  spec: { read: (raw: string | undefined) => V | null; command: (value: V) => Command },
): Promise<void> {
  const { respond } = args;
  await handleCommandClick(deps, args, { ...spec, what: 'the button' }, async (outcome) => {
    const rendered = renderBlocks(outcome);
    if (outcome.kind === 'error') {
      await respond(ephemeral(rendered, { replace_original: true }));
      return;
    }
    await respond(ephemeral(`Done: ${rendered.text}`, { replace_original: true }));
    await respond(inChannel(rendered, { replace_original: false }));
  });
}
