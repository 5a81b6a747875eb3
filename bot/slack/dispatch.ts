import type { AckFn, RespondArguments, RespondFn, SlashCommand as SlackSlashCommand } from '@slack/bolt';
import type { Logger } from '../log';
import { BillingError } from '../../billing';
import { ANSWERED, Command, entryOf, Face, isModal, Outcome, parseCommand, performCommand, SlashCommand } from '../commands';
import { changeAccess } from './accessCommand';
import { postChart, postReplyChart } from './chartCommand';
import { auditInvalid, authorize, AuditContext } from './access';
import { runBill } from './billRun';
import { confirmMessage, paymentConfirmMessage } from './confirm';
import { executorServices, SlackDeps, WebClient } from './deps';
import { describeFailure } from './errors';
import { fillOpened, openLoading, tellInView, type OpenedView } from './modals/open';
import { ephemeral, inChannel } from './reply';
import { commandRequestKey } from './requestKeys';
import { postDocument } from './documents';
import { postWorkbook } from './workbooks';
import { followUpsFor, renderForSlack } from './runStatus';

/** What a slash command listener uses (a subset of Bolt's arguments, so tests can pass fakes). */
export interface SlashArgs {
  ack: AckFn<string | RespondArguments>;
  command: SlackSlashCommand;
  respond: RespondFn;
  client: WebClient;
  logger: Logger;
}

/** `/billing import` in Slack: the workbook comes as an upload, not a path. */
const IMPORT_IN_SLACK =
  'To import a setup workbook, upload the .xlsx file to me in a direct message (or in a channel I am in, mentioning me). ' +
  'I check it first and show what it would change, with Confirm and Cancel buttons: nothing changes until you confirm. ' +
  '`/billing template` gives an empty workbook, and `/billing export accounts` the current setup to edit.';

/** Ephemeral for errors, previews, lists and status; in the channel for completed changes (the table's `announce`). */
export function replyFor(command: Command, outcome: Outcome): RespondArguments {
  const rendered = renderForSlack(outcome);
  const unchanged = outcome.kind === 'schedule.changed' && !outcome.changed;
  return outcome.kind !== 'error' && entryOf(command).announce && !unchanged ? inChannel(rendered) : ephemeral(rendered);
}

/**
 * Every slash command: acknowledged first, then parsed, checked against the person's role
 * (and audited), then done. Anything malformed gets an ephemeral reply with the right form.
 */
export async function handleSlashCommand(deps: SlackDeps, args: SlashArgs): Promise<void> {
  const { ack, command: slash, respond, logger } = args;
  await ack();
  await deps.tasks.run(
    () => perform(deps, args),
    async (error) => {
      await respond(ephemeral(`:warning: ${describeFailure(error, logger, slash.command)}`));
    },
  );
}

/**
 * What only Slack does for a slash command: modals, confirmation buttons, uploads, roles, runs
 * reported in the channel. A form fills the view `opened` for it before anything else.
 */
function slackFace(deps: SlackDeps, { command: slash, respond, client, logger }: SlashArgs, requestKey: string, opened: OpenedView | null): Face {
  const where = { channel: slash.channel_id || null, user: slash.user_id };
  const answer = async (reply: RespondArguments): Promise<typeof ANSWERED> => {
    await respond(reply);
    return ANSWERED;
  };
  return {
    name: 'slack',
    fill: async (modal) => {
      const view = opened ?? (await openLoading(client, slash.trigger_id, modal));
      await fillOpened(deps, client, logger, view, { channel: where.channel, modal, version: 0 });
      return ANSWERED;
    },
    confirm: async (command, _ctx, action) => answer(ephemeral(await confirmMessage(deps, command, action))),
    confirmPayment: async (command) => answer(ephemeral(await paymentConfirmMessage(deps, command))),
    deliverWorkbook: async (command) => {
      await postWorkbook(deps, client, logger, command, where, respond);
      return ANSWERED;
    },
    deliverDocument: async (command) => {
      await postDocument(deps, client, logger, command, where, respond);
      return ANSWERED;
    },
    deliverChart: async (command) => {
      await postChart(deps, client, command, where, respond);
      return ANSWERED;
    },
    importWorkbook: async () => answer(ephemeral(IMPORT_IN_SLACK)),
    access: async (command) => {
      const { message, changed } = await changeAccess(deps, command, slash.user_id);
      return answer(changed ? inChannel(message) : ephemeral(message));
    },
    startRun: async (command) => {
      await runBill(deps, client, command, { ...where, requestKey, fallback: respond, tell: (m) => respond(ephemeral(m)).then(() => undefined) });
      return ANSWERED;
    },
  };
}

async function perform(deps: SlackDeps, args: SlashArgs): Promise<void> {
  const { command: slash, respond, logger } = args;
  const requestKey = commandRequestKey(slash);
  if (!deps.recent.claim(requestKey)) {
    // Slack delivered the same command again (same trigger id): it is being handled already.
    logger.info(`billbot: ${slash.command} with trigger ${slash.trigger_id} was already handled; not doing it again`);
    return;
  }
  const audit: AuditContext = { user: slash.user_id, channel: slash.channel_id || null, command: slash.command, input: slash.text ?? '' };
  let command: Command;
  try {
    command = parseCommand(slash.command as SlashCommand, slash.text ?? '', { slackEscaped: true });
  } catch (error) {
    if (!(error instanceof BillingError)) throw error;
    await auditInvalid(deps, audit, error.message);
    await respond(ephemeral(`:warning: ${error.message}`));
    return;
  }
  // A form's view opens first, on the trigger (valid 3 s), whatever the commands before it: the
  // role check and the audit are database work, done in the command's turn (tasks.ts).
  const opened = isModal(command) ? await openLoading(args.client, slash.trigger_id, command) : null;
  await deps.tasks.inTurn(() => performChecked(deps, args, command, audit, opened));
}

/** A parsed command's role check, audit, work and reply. */
async function performChecked(deps: SlackDeps, args: SlashArgs, command: Command, audit: AuditContext, opened: OpenedView | null): Promise<void> {
  const { command: slash, respond } = args;
  const requestKey = commandRequestKey(slash);
  const refused = await authorize(deps, audit, command);
  if (refused) {
    if (opened && isModal(command)) await tellInView(args.client, opened, command, refused);
    else await respond(ephemeral(refused));
    return;
  }
  const services = { ...executorServices(deps), face: slackFace(deps, args, requestKey, opened) };
  const reply = await performCommand(services, command, { actor: slash.user_id, channel: slash.channel_id, requestKey });
  if (reply === ANSWERED) return;
  await respond(replyFor(command, reply));
  for (const more of followUpsFor(reply)) await respond(ephemeral(more));
  await postReplyChart(deps, args.client, reply, { channel: slash.channel_id || null, user: slash.user_id });
}
