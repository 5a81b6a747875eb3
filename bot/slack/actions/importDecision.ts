import { PendingImportError } from '../../../billing';
import { validateCommand } from '../../commands';
import { importWorkbook, workbookBytes } from '../../commands/workbooks';
import { importCancelled, importDecidedBefore, renderBlocks } from '../../render';
import { ButtonArgs, handleAuthorizedClick } from '../buttons';
import type { SlackDeps } from '../deps';
import { ephemeral, inChannel } from '../reply';
import { checkSummary, readImportButtonValue } from '../uploads';

/**
 * Confirm and Cancel under a workbook's preview. Both need the admin role (checked and
 * audited on every click). Confirm applies the bytes that were previewed, all or nothing, once:
 * a second click (a double click, a retry, another process) finds the file decided and says
 * so. The preview is replaced by the result; a workbook sent in a channel has its result
 * posted there too.
 */
type Decision = 'confirm' | 'cancel';

async function handleDecision(deps: SlackDeps, decision: Decision, args: ButtonArgs): Promise<void> {
  const { body, respond } = args;
  await handleAuthorizedClick(
    deps,
    args,
    {
      read: readImportButtonValue,
      command: () => validateCommand({ kind: 'billing.import', dryRun: decision === 'cancel' }),
      stale: 'That button is not one billbot understands any more; send the workbook again.',
      what: 'the import button',
    },
    async ({ value, user }) => {
      // A second click (or another process's) waits for the first one's lock, then finds the file decided.
      const { pendingImports } = deps.services.billing;
      // The preview is replaced as it was shown: only to its sender in a channel, as a message in a direct message.
      const inChannelPreview = (body.container as { is_ephemeral?: boolean } | undefined)?.is_ephemeral === true;
      const replace = (m: Parameters<typeof ephemeral>[0]) => (inChannelPreview ? ephemeral : inChannel)(m, { replace_original: true });
      try {
        if (decision === 'cancel') {
          const cancelled = await pendingImports.cancel(value.pending, user);
          const text = cancelled.done ? importCancelled(cancelled.pending.fileName) : importDecidedBefore(cancelled.pending);
          await respond(cancelled.done ? replace(text) : ephemeral(text, { replace_original: false }));
          return;
        }
        const confirmed = await pendingImports.confirm(value.pending, user, async (billing, content, pending) => {
          const outcome = await importWorkbook(billing, workbookBytes(pending.fileName, content), { actor: user, dryRun: false });
          return { applied: outcome.result.applied, summary: checkSummary(outcome.result), value: outcome };
        });
        if (!confirmed.done) {
          await respond(ephemeral(importDecidedBefore(confirmed.pending), { replace_original: false }));
          return;
        }
        const rendered = renderBlocks(confirmed.value);
        await respond(replace(rendered));
        // Sent in a channel (the preview was only for the sender): the channel learns of the change.
        if (confirmed.value.result.applied && inChannelPreview) await respond(inChannel(rendered, { replace_original: false }));
      } catch (error) {
        if (!(error instanceof PendingImportError)) throw error;
        await respond(ephemeral(error.message, { replace_original: false }));
      }
    },
  );
}

/** "Confirm import" under a preview. */
export function importConfirmAction(deps: SlackDeps) {
  return (args: ButtonArgs): Promise<void> => handleDecision(deps, 'confirm', args);
}

/** "Cancel" under a preview. */
export function importCancelAction(deps: SlackDeps) {
  return (args: ButtonArgs): Promise<void> => handleDecision(deps, 'cancel', args);
}
