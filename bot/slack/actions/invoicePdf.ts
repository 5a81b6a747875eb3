import type { App, BlockAction, ButtonAction, RespondArguments, RespondFn } from '@slack/bolt';
import { validateCommand } from '../../commands';
import { invoiceNumberSchema } from '../../commands/schema';
import type { DocumentCommand } from '../../commands/types';
import { ButtonArgs, handleAuthorizedClick } from '../buttons';
import type { SlackDeps } from '../deps';
import { postDocument } from '../documents';

/**
 * The "PDF" button of an invoice message (runStatus.ts renderForSlack puts it there; its value
 * is the invoice number): the person's role is checked (viewer) and audited like the command,
 * and the invoice's PDF is uploaded to them in their direct message with the app, as
 * `/billing invoice <number> pdf` does. The invoice message itself is left as it is.
 */
export const INVOICE_PDF_ACTION = 'invoice_pdf';

function readNumber(raw: string | undefined): string | null {
  const parsed = invoiceNumberSchema.safeParse(raw ?? '');
  return parsed.success ? parsed.data : null;
}

export function invoicePdfAction(deps: SlackDeps) {
  return (args: ButtonArgs): Promise<void> =>
    handleAuthorizedClick(
      deps,
      args,
      {
        read: readNumber,
        command: (invoice) => validateCommand({ kind: 'invoice.pdf', invoice }),
        stale: 'That button is not one billbot understands any more; type /billing invoice <number> pdf.',
        what: 'the PDF button',
      },
      async ({ command, user, channel }) => {
        const respond = ((m: RespondArguments) => args.respond({ ...m, replace_original: false })) as RespondFn;
        await postDocument(deps, args.client, args.logger, command as DocumentCommand, { channel, user }, respond);
      },
    );
}

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: INVOICE_PDF_ACTION }, invoicePdfAction(deps));
}
