import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RespondFn } from '@slack/bolt';
import type { Logger } from '../log';
import type { CommandOf } from '../commands/schema';
import type { DocumentCommand } from '../commands/types';
import { documentUpload } from '../render';
import type { SlackDeps, WebClient } from './deps';
import { ephemeral } from './reply';
import { sendToPerson } from './workbooks';

/**
 * `/billing invoice <number> pdf` (and the PDF button), `/billing statement <account> ... pdf` and `/billing export pdfs run <run>` in
 * Slack: the document is uploaded to the person who asked, in their direct message with the
 * app, like the workbooks (an invoice is for the people whose role lets them see it). An
 * invoice's PDF is made in memory; a run's zip is streamed into a temporary file, one PDF at
 * a time, and that file is uploaded (the Web API client reads it whole to send it) and removed.
 */
export async function postDocument(
  deps: SlackDeps,
  client: WebClient,
  logger: Logger,
  command: DocumentCommand,
  where: { channel: string | null; user: string },
  respond: RespondFn,
): Promise<void> {
  const documents = await import('../commands/documents');
  const billing = deps.services.billing;
  const rt = deps.services.handlers?.documents;
  const single = await documents.singlePdf(billing, command, rt);
  if (single) {
    const upload = documentUpload(single.document, single.subject, where.user, 1);
    await sendToPerson(client, logger, where, respond, { file: single.data, filename: single.filename, ...upload });
    return;
  }
  const run = command as CommandOf<'billing.export.pdfs'>;
  await respond(ephemeral(`:hourglass_flowing_sand: Preparing the PDFs of bill run #${run.run}…`));
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-pdfs-'));
  try {
    const filename = documents.documentFileName(run);
    const file = path.join(folder, filename);
    const { invoices } = await documents.writeRunZip(billing, run, createWriteStream(file), rt);
    const upload = documentUpload('run invoices', `bill run #${run.run}`, where.user, invoices);
    await sendToPerson(client, logger, where, respond, { file: createReadStream(file), filename, ...upload });
  } finally {
    await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined);
  }
}
