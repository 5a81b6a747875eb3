import { z } from 'zod';
import { validateCommand, type Outcome } from '../commands';
import { runIdSchema } from '../commands/schema';
import { listsGoBeyondNotice, renderBlocks, reportThread, restOfLists, withPdfButton, withResumeButton, type Rendered } from '../render';
import { INVOICE_PDF_ACTION } from './actions/invoicePdf';
import { ButtonArgs, buttonValueReader, handleCommandClick } from './buttons';
import type { SlackDeps } from './deps';
import { ephemeral } from './reply';
import { newRequestId } from './requestKeys';

/**
 * `/bill status <run>` of a failed run carries a Resume button (behind a confirmation); the
 * click resumes the run through the scheduler, which bills only what the run has not done
 * and reports it in the run's channel. Its value carries the run and a request id.
 */
export const RESUME_ACTION = 'bill_run_resume';

const resumeValueSchema = z.object({ run: runIdSchema, request: z.string().uuid() });
type ResumeValue = z.infer<typeof resumeValueSchema>;

const readResumeValue = buttonValueReader(resumeValueSchema);

/** An outcome as Slack shows it: the shared rendering, with a Resume button on a failed run's status and a PDF button on an invoice. */
export function renderForSlack(outcome: Outcome): Rendered {
  const rendered = renderBlocks(outcome);
  if (outcome.kind === 'invoice') return withPdfButton(rendered, outcome.invoice.number, INVOICE_PDF_ACTION);
  if (outcome.kind !== 'bill.status' || !outcome.resumable) return rendered;
  const runId = outcome.report.run.id;
  const value: ResumeValue = { run: runId, request: newRequestId() };
  return withResumeButton(rendered, runId, { actionId: RESUME_ACTION, value: JSON.stringify(value) });
}

/** How many follow-ups a preview's lists may take (a response_url takes 5 uses; the preview is one). */
export const PREVIEW_FOLLOW_UPS = 3;

/**
 * What follows a reply only its requester sees: a preview's lists beyond the few it shows, as
 * ephemeral follow-ups (an ephemeral message has no thread), within the limits, saying how
 * many more there are (a preview writes nothing, so it has no workbook).
 */
export function followUpsFor(outcome: Outcome): Rendered[] {
  if (outcome.kind !== 'bill.report' || !outcome.report.preview || !listsGoBeyondNotice(outcome.report)) return [];
  return reportThread(outcome.report, { messages: PREVIEW_FOLLOW_UPS, rest: restOfLists(outcome.report, false) });
}

/**
 * A confirmed click on "Resume run #N": acknowledged, checked against the person's role
 * (operator, audited), done once per click, and the status message replaced by what happens.
 */
export function resumeRunAction(deps: SlackDeps) {
  return (args: ButtonArgs): Promise<void> =>
    handleCommandClick(
      deps,
      args,
      { read: readResumeValue, command: (value) => validateCommand({ kind: 'bill.resume', run: value.run }), what: 'the Resume button' },
      async (outcome) => {
        await args.respond(ephemeral(renderForSlack(outcome), { replace_original: true }));
      },
    );
}
