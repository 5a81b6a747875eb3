import type { PaymentsImportResult } from '../../sheets/changes';
import { bold, escapeMrkdwn } from './mrkdwn';
import { context, fields, header, list, money, plural, section, type KnownBlock, type Rendered } from './kit';
import { IMPORT_SUMMARY_BLOCK_ID, problemAndWarningBlocks } from './importParts';

/** A payments workbook checked (a preview) or imported: what it records, applies and leaves unapplied, and what is already recorded. */

const ALREADY_SHOWN = 10;

function headline(file: string, result: PaymentsImportResult): { title: string; text: string } {
  const name = bold(file);
  const payments = plural(result.payments, 'payment');
  if (result.totalProblems > 0) {
    return {
      title: result.dryRun ? `Import check: ${file}` : `Not imported: ${file}`,
      text:
        `:x: ${name} has ${plural(result.totalProblems, 'problem')}, so no payment was recorded. ` +
        'Fix them in the workbook and send it again; the rows without problems are not recorded on their own.',
    };
  }
  if (result.payments === 0) {
    return { title: `Import check: ${file}`, text: `Nothing to import: every payment of ${name} is already recorded.` };
  }
  if (result.dryRun) {
    return { title: `Import preview: ${file}`, text: `${name} is ready to import: ${payments}. Nothing has been recorded yet: confirm to record all of them at once, or cancel.` };
  }
  if (result.applied) return { title: `Imported: ${file}`, text: `:white_check_mark: Recorded ${payments} from ${name}, all at once.` };
  return { title: `Not imported: ${file}`, text: `${name} was not imported.` };
}

export function renderPaymentsImport(file: string, result: PaymentsImportResult): Rendered {
  const { title, text } = headline(file, result);
  const blocks: KnownBlock[] = [header(title), { ...section(text), block_id: IMPORT_SUMMARY_BLOCK_ID }];
  const done = result.applied ? '' : ' (when confirmed)';
  if (result.totalProblems === 0 && result.payments > 0) {
    blocks.push(
      ...fields([
        ['Payments', `${plural(result.payments, 'payment')} from ${plural(result.rows, 'row')}`],
        ['Applied', `${plural(result.applications, 'application')}; ${plural(result.invoicesPaid, 'invoice')} paid off${done}`],
        ...result.totals.map((t): [string, string] => [
          `Total ${t.currency}`,
          `${money(t.amount, t.currency)}: ${money(t.applied, t.currency)} applied, ${money(t.unapplied, t.currency)} unapplied`,
        ]),
      ]),
    );
  }
  if (result.alreadyRecorded > 0) {
    const shown = result.alreadyRecordedShown
      .slice(0, ALREADY_SHOWN)
      .map((r) => escapeMrkdwn(`Payments row ${r.row}: ${r.account}, reference ${r.reference}, is ${r.payment}`));
    const more = result.alreadyRecorded - shown.length;
    if (more > 0) shown.push(`…and ${plural(more, 'more row', 'more rows')}`);
    blocks.push(...list(`${plural(result.alreadyRecorded, 'row')} already recorded (skipped, never applied twice)`, shown, ALREADY_SHOWN + 1));
  }
  blocks.push(...problemAndWarningBlocks(result));
  if (result.totalProblems === 0 && result.payments > 0) blocks.push(context('Rows with the same account and reference are one payment; a row without an invoice pays the oldest due invoices first.'));
  const totals = result.totals.map((t) => `${t.currency} ${t.amount} (${t.applied} applied, ${t.unapplied} unapplied)`).join(', ');
  const summary =
    `${title}: ${plural(result.payments, 'payment')}${totals ? `, ${totals}` : ''}; ${result.alreadyRecorded} already recorded` +
    (result.totalProblems ? `; ${plural(result.totalProblems, 'problem')}, nothing recorded.` : '.');
  return { text: escapeMrkdwn(summary), blocks };
}
