import type { AckFn, ViewOutput, ViewResponseAction, ViewSubmitAction } from '@slack/bolt';
import type { Logger } from '../../log';
import { BillingError, type Role } from '../../../billing';
import { buildForm, Command, CommandSyntaxError, commandFromForm, Form, FormValues, ModalCommand } from '../../commands';
import { auditInvalid, authorize, AuditContext, requiredRole } from '../access';
import type { SlackDeps, WebClient } from '../deps';
import { describeFailure } from '../errors';
import { fieldBlock, formValues } from '../modals/formView';
import { escapeMrkdwn } from '../../render/mrkdwn';
import { resolveChoices } from '../modals/choices';
import { messageView, ModalMetadata, readMetadata, ViewStateValues } from '../modals/kit';
import { tellUser, Where } from '../reply';
import { viewRequestKey } from '../requestKeys';

/** What a view submission listener uses (a subset of Bolt's arguments, so tests can pass fakes). */
export interface ViewArgs {
  ack: AckFn<ViewResponseAction>;
  body: ViewSubmitAction;
  view: ViewOutput;
  client: WebClient;
  logger: Logger;
}

export interface Submission<C extends Command> {
  command: C;
  meta: ModalMetadata;
  where: Where;
  requestKey: string;
  client: WebClient;
  logger: Logger;
}

/** Field name → message; shown under the field (the block with that field's id). */
export type FieldErrors = Record<string, string>;

export interface FormSpec<C extends Command> {
  modal: ModalCommand['kind'];
  /** The field to mark when a problem names no field. */
  defaultField: string;
  /** The field to mark when the person's role does not allow the submission. */
  accessField?: string;
  /** Values that come from the form's metadata rather than an input. */
  given?: (meta: ModalMetadata) => FormValues;
  /** Checks that need the data, answered through the acknowledgement when quick (see ACK_BUDGET). */
  check?: (command: C, deps: SlackDeps) => Promise<FieldErrors | null>;
  /** The work, after acknowledging. */
  act: (deps: SlackDeps, submission: Submission<C>) => Promise<void>;
}

function plainText(markdown: string): string {
  return markdown.replace(/[*`]/g, '').replace(/<@([A-Z0-9]+)>/g, '@$1');
}

function errorsFor(values: ViewStateValues, errors: FieldErrors, fallback: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, message] of Object.entries(errors)) out[fieldBlock(values, field, fallback)] = plainText(message);
  return out;
}

/**
 * Slack drops a submission it has not had an answer to within 3 seconds. The checks below
 * answer `response_action: errors` (the fields marked) when they finish within this budget.
 * Measured at real size (test/bot/slack/menusAtSize.test.ts: 3,000 accounts, 150
 * configurations, 400 unpaid invoices), a whole signed submission is acknowledged in 60-300 ms
 * on a loaded 2-core test machine (Add Credit 60-300, Bill Account with packages due 140-300,
 * Disburse 85-160). Past the budget the submission is acknowledged at once with a "checking"
 * view, and the outcome shown in that view.
 */
export const ACK_BUDGET = { ms: 2000 };

type Verdict<C> = { ok: true; command: C } | { ok: false; errors: FieldErrors };

/**
 * Reads and validates the answers through the shared form (menu ids resolved to names; a
 * CommandSyntaxError marks its field), checks them against the person's role (audited) and
 * against the data.
 */
async function prepare<C extends Command>(deps: SlackDeps, args: ViewArgs, spec: FormSpec<C>, meta: ModalMetadata): Promise<Verdict<C>> {
  const { body, view, logger } = args;
  const values = view.state.values as ViewStateValues;
  const fail = (errors: FieldErrors): Verdict<C> => ({ ok: false, errors });
  try {
    const form: Form = await buildForm(deps.services.billing, meta.modal);
    const answers = formValues(form, values, spec.given?.(meta) ?? {});
    const audit: AuditContext = { user: body.user.id, channel: meta.channel, command: `view:${view.callback_id}`, input: JSON.stringify(answers) };
    let command: C;
    try {
      const resolved = await resolveChoices(deps.services.billing, answers);
      audit.input = JSON.stringify(resolved);
      command = commandFromForm(form, resolved) as C;
    } catch (error) {
      if (!(error instanceof CommandSyntaxError)) throw error;
      await auditInvalid(deps, audit, error.message);
      return fail({ [error.field ?? spec.defaultField]: error.problem });
    }
    const needed: Role = requiredRole(command);
    const refused = await authorize(deps, audit, command, needed);
    if (refused) return fail({ [spec.accessField ?? spec.defaultField]: refused });
    const problems = spec.check ? await spec.check(command, deps) : null;
    if (problems && Object.keys(problems).length) return fail(problems);
    return { ok: true, command };
  } catch (error) {
    return fail({ [spec.defaultField]: describeFailure(error, logger, 'the form') });
  }
}

const LATE = Symbol('late');

/** The promise's value if it settles within `ms`, else LATE (the promise keeps running). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A form submission, acknowledged within Slack's 3 seconds whatever the data's size: field
 * errors through the acknowledgement when the checks finish within ACK_BUDGET, otherwise a
 * "checking" view at once and the outcome in it. The work runs after. The same submission
 * twice has one effect.
 */
export async function handleSubmission<C extends Command>(deps: SlackDeps, args: ViewArgs, spec: FormSpec<C>): Promise<void> {
  const { ack, body, view, client, logger } = args;
  const values = view.state.values as ViewStateValues;
  const meta = readMetadata(view.private_metadata, spec.modal);
  const where: Where = { channel: meta.channel, user: body.user.id };
  const requestKey = viewRequestKey(view);

  if (deps.recent.has(requestKey)) {
    // The same submission again (a double click, a retry): it was done; do not check or do it twice.
    await ack();
    logger.info(`billbot: ${view.callback_id} submission ${view.id} was already handled; not doing it again`);
    return;
  }
  const act = (command: C) =>
    deps.tasks.run(
      () => spec.act(deps, { command, meta, where, requestKey, client, logger }),
      async (error) => {
        await tellUser(client, logger, where, `:warning: ${describeFailure(error, logger, 'the form')}`);
      },
    );

  const preparing = prepare(deps, args, spec, meta);
  const early = await within(preparing, ACK_BUDGET.ms);
  if (early !== LATE) {
    if (!early.ok) {
      await ack({ response_action: 'errors', errors: errorsFor(values, early.errors, spec.defaultField) });
      return;
    }
    await ack();
    if (deps.recent.claim(requestKey)) await act(early.command); // else a copy of this submission got here first
    return;
  }

  // The checks are slow today: acknowledge now, and say in the form what came of it.
  const title = view.title?.text ?? 'billbot';
  await ack({ response_action: 'update', view: messageView(title, ':hourglass_flowing_sand: Checking your answers…') });
  await deps.tasks.run(
    async () => {
      const verdict = await preparing;
      const shown = verdict.ok
        ? messageView(title, ':white_check_mark: Submitted; the outcome follows in the conversation.')
        : messageView(title, problemsText(verdict.errors));
      // The person may have closed the form meanwhile: the work is done all the same.
      await client.views.update({ view_id: view.id, view: shown }).catch((error: unknown) => {
        logger.warn(`billbot: could not show the outcome in the ${view.callback_id} form (${describeFailure(error, logger, 'the form')})`);
      });
      if (verdict.ok && deps.recent.claim(requestKey)) await act(verdict.command);
    },
    (error) => {
      logger.warn(`billbot: could not finish the ${view.callback_id} submission (${describeFailure(error, logger, 'the form')})`);
    },
  );
}

/** Field errors as one message, for a form already acknowledged. */
function problemsText(errors: FieldErrors): string {
  const lines = Object.values(errors).map((message) => `• ${escapeMrkdwn(plainText(message))}`);
  return `:warning: Nothing was done:\n${lines.join('\n')}\nRun the command again to correct the form.`;
}

/** Maps a BillingError thrown by a check to its field; anything else is rethrown. */
export function fieldError(error: unknown, fields: Record<string, string>, fallback: string): FieldErrors {
  if (!(error instanceof BillingError)) throw error;
  return { [fields[error.code] ?? fallback]: error.message };
}
