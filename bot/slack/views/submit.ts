import type { AckFn, ViewOutput, ViewResponseAction, ViewSubmitAction } from '@slack/bolt';
import type { Logger } from '../../log';
import { BillingError, type Role } from '../../../billing';
import { buildForm, Command, CommandSyntaxError, commandFromForm, Form, FormValues, ModalCommand } from '../../commands';
import { auditInvalid, authorize, AuditContext, requiredRole } from '../access';
import type { SlackDeps, WebClient } from '../deps';
import { describeFailure } from '../errors';
import { fieldBlock, formValues } from '../modals/formView';
import { ModalMetadata, readMetadata, ViewStateValues } from '../modals/kit';
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
  /** Checks that need the data, before acknowledging (quick reads only). */
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
 * A form submission: read and validated through the shared form (a CommandSyntaxError marks
 * its field), checked against the person's role (audited), checked against the data, and only
 * then acknowledged; the work runs after. The same submission twice has one effect.
 */
export async function handleSubmission<C extends Command>(deps: SlackDeps, args: ViewArgs, spec: FormSpec<C>): Promise<void> {
  const { ack, body, view, client, logger } = args;
  const values = view.state.values as ViewStateValues;
  const meta = readMetadata(view.private_metadata, spec.modal);
  const user = body.user.id;
  const where: Where = { channel: meta.channel, user };
  const requestKey = viewRequestKey(view);
  const fail = (errors: FieldErrors) => ack({ response_action: 'errors', errors: errorsFor(values, errors, spec.defaultField) });

  if (deps.recent.has(requestKey)) {
    // The same submission again (a double click, a retry): it was done; do not check or do it twice.
    await ack();
    logger.info(`billbot: ${view.callback_id} submission ${view.id} was already handled; not doing it again`);
    return;
  }

  let command: C;
  try {
    const form: Form = await buildForm(deps.services.billing, meta.modal);
    const answers = formValues(form, values, spec.given?.(meta) ?? {});
    const audit: AuditContext = { user, channel: meta.channel, command: `view:${view.callback_id}`, input: JSON.stringify(answers) };
    try {
      command = commandFromForm(form, answers) as C;
    } catch (error) {
      if (!(error instanceof CommandSyntaxError)) throw error;
      await auditInvalid(deps, audit, error.message);
      await fail({ [error.field ?? spec.defaultField]: error.problem });
      return;
    }
    const needed: Role = requiredRole(command);
    const refused = await authorize(deps, audit, command, needed);
    if (refused) {
      await fail({ [spec.accessField ?? spec.defaultField]: refused });
      return;
    }
    const problems = spec.check ? await spec.check(command, deps) : null;
    if (problems && Object.keys(problems).length) {
      await fail(problems);
      return;
    }
  } catch (error) {
    await fail({ [spec.defaultField]: describeFailure(error, logger, 'the form') });
    return;
  }

  await ack();
  if (!deps.recent.claim(requestKey)) return; // a copy of this submission got here first
  await deps.tasks.run(
    () => spec.act(deps, { command, meta, where, requestKey, client, logger }),
    async (error) => {
      await tellUser(client, logger, where, `:warning: ${describeFailure(error, logger, 'the form')}`);
    },
  );
}

/** Maps a BillingError thrown by a check to its field; anything else is rethrown. */
export function fieldError(error: unknown, fields: Record<string, string>, fallback: string): FieldErrors {
  if (!(error instanceof BillingError)) throw error;
  return { [fields[error.code] ?? fallback]: error.message };
}
