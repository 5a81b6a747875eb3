import type { z } from 'zod';
import type { AckFn, BlockAction, ButtonAction, RespondFn } from '@slack/bolt';
import type { Logger } from '../log';
import { executeCommand, type Command, type Outcome } from '../commands';
import { authorize } from './access';
import { executorServices, type SlackDeps, type WebClient } from './deps';
import { describeFailure } from './errors';
import { ephemeral } from './reply';
import { buttonRequestKey } from './requestKeys';

/** What a button listener uses (a subset of Bolt's arguments, so tests can pass fakes). */
export interface ButtonArgs {
  ack: AckFn<void>;
  body: BlockAction<ButtonAction>;
  action: ButtonAction;
  respond: RespondFn;
  client: WebClient;
  logger: Logger;
}

/** Reads a button's value: JSON that `schema` accepts; null when it is not one of ours. */
export function buttonValueReader<T>(schema: z.ZodType<T>): (raw: string | undefined) => T | null {
  return (raw) => {
    try {
      const parsed = schema.safeParse(JSON.parse(raw ?? ''));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  };
}

export interface AuthorizedClick<V> {
  value: V;
  command: Command;
  user: string;
  channel: string | null;
}

/**
 * The start every button click shares: acknowledged at once; after the ack, the button's
 * value is read, the command it stands for is checked against the person's role (and
 * audited), and an unknown button or a refusal is answered only to them. `then` runs only for
 * an allowed click; anything it throws is answered with one sentence, never a stack trace.
 */
export async function handleAuthorizedClick<V>(
  deps: SlackDeps,
  args: ButtonArgs,
  spec: {
    read: (raw: string | undefined) => V | null;
    command: (value: V) => Command;
    /** The answer to a button whose value billbot no longer understands. */
    stale: string;
    /** What the failure sentence calls the button ("the Resume button"). */
    what: string;
  },
  then: (click: AuthorizedClick<V>) => Promise<void>,
): Promise<void> {
  const { ack, body, action, respond, logger } = args;
  await ack();
  await deps.tasks.run(
    async () => {
      const value = spec.read(action.value);
      const user = body.user.id;
      const channel = body.channel?.id ?? null;
      if (!value) {
        await respond(ephemeral(spec.stale, { replace_original: false }));
        return;
      }
      const command = spec.command(value);
      const audit = { user, channel, command: `button:${action.action_id}`, input: action.value ?? '' };
      const refused = await authorize(deps, audit, command);
      if (refused) {
        await respond(ephemeral(refused, { replace_original: false }));
        return;
      }
      await then({ value, command, user, channel });
    },
    async (error) => {
      await respond(ephemeral(`:warning: ${describeFailure(error, logger, spec.what)}`, { replace_original: false }));
    },
  );
}

/**
 * A click on a button that stands for a command (its value carries a request id): checked as
 * above, then the command is run once per click (the same click delivered twice is dropped),
 * and `then` answers with its outcome.
 */
export async function handleCommandClick<V extends { request: string }>(
  deps: SlackDeps,
  args: ButtonArgs,
  spec: { read: (raw: string | undefined) => V | null; command: (value: V) => Command; what: string },
  then: (outcome: Outcome) => Promise<void>,
): Promise<void> {
  await handleAuthorizedClick(
    deps,
    args,
    { ...spec, stale: 'That button is not one billbot understands any more; type the command again.' },
    async ({ value, command, user, channel }) => {
      const requestKey = buttonRequestKey(value.request);
      if (!deps.recent.claim(requestKey)) return; // the same click delivered twice
      await then(await executeCommand(executorServices(deps), command, { actor: user, channel: channel ?? undefined, requestKey }));
    },
  );
}
