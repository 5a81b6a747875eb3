import type { types } from '@slack/bolt';
import type { WorkbookKind } from '../commands/execute';
import { importChanges, isPaymentsImport, type SetupImportResult, type WorkbookImportResult } from '../../sheets/changes';
import { IMPORT_SUMMARY_BLOCK_ID, problemAndWarningBlocks } from './importParts';
import { renderPaymentsImport } from './paymentImport';
import { bold, escapeMrkdwn } from './mrkdwn';
import { context, fields, header, list, MAX_BLOCKS, plural, section, type KnownBlock, type Rendered } from './kit';

/** Workbooks: what one holds, one written, an import checked or applied, and its preview with Confirm and Cancel. */

const WORKBOOK_TITLES: Record<WorkbookKind, string> = {
  template: 'the empty setup workbook',
  accounts: 'the accounts export (the setup workbook of what is stored)',
  invoices: 'the invoices export',
  credits: 'the credits export',
  aging: 'the aging export',
  statement: 'the statement export',
  payments: 'the payments export',
};

const ROW_LABELS: Record<string, [string, string]> = {
  accounts: ['account', 'accounts'],
  packageServices: ['package service', 'package services'],
  accountPackages: ['account package', 'account packages'],
  billRuns: ['bill run configuration', 'bill run configurations'],
  invoices: ['invoice', 'invoices'],
  transactions: ['transaction', 'transactions'],
  credits: ['credit', 'credits'],
  disbursements: ['disbursement', 'disbursements'],
  reversals: ['reversal', 'reversals'],
  agingAccounts: ['account that owes', 'accounts that owe'],
  statementLines: ['statement line', 'statement lines'],
  payments: ['payment', 'payments'],
  applications: ['application', 'applications'],
};

/**
 * What a workbook holds, as one sentence: "The invoices export: 12 invoices and 40
 * transactions." (Slack's upload comment, the shell's and the CLI's reply.)
 */
export function workbookSummary(workbook: WorkbookKind, rows: Record<string, number>): string {
  const title = WORKBOOK_TITLES[workbook];
  const what = title.charAt(0).toUpperCase() + title.slice(1);
  if (workbook === 'template') {
    return `${what}: the sheets Accounts, Packages, Account Packages and Bill Runs with their header rows, and a Read Me sheet that explains each column. Fill it in and import it.`;
  }
  const counts = Object.entries(rows)
    .filter(([key]) => ROW_LABELS[key])
    .map(([key, n]) => plural(n, ROW_LABELS[key][0], ROW_LABELS[key][1]));
  const joined = counts.length > 1 ? `${counts.slice(0, -1).join(', ')} and ${counts[counts.length - 1]}` : (counts[0] ?? 'nothing');
  return `${what}: ${joined}.`;
}

const UPLOAD_TITLES: Record<WorkbookKind, string> = {
  template: 'Setup template',
  accounts: 'Accounts export',
  invoices: 'Invoices export',
  credits: 'Credits export',
  aging: 'Aging export',
  statement: 'Statement export',
  payments: 'Payments export',
};

/** A workbook uploaded to Slack for `user`: the file's title and the comment posted with it. */
export function workbookUpload(workbook: WorkbookKind, filename: string, user: string, rows: Record<string, number>): { title: string; comment: string } {
  return { title: `${UPLOAD_TITLES[workbook]} (${filename})`, comment: `<@${user}> asked for this. ${workbookSummary(workbook, rows)}` };
}

export function renderWorkbookWritten(workbook: WorkbookKind, file: string, rows: Record<string, number>): Rendered {
  const text = `Wrote ${WORKBOOK_TITLES[workbook]} to \`${escapeMrkdwn(file)}\`.`;
  return { text, blocks: [section(text), context(escapeMrkdwn(workbookSummary(workbook, rows)))] };
}

export { IMPORT_PROBLEMS_SHOWN, IMPORT_SUMMARY_BLOCK_ID } from './importParts';

function countsText(c: { created: number; updated: number; unchanged: number }): string {
  return `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`;
}

/** True when a checked workbook can be applied: no problem, and it changes something. */
export function importIsReady(result: WorkbookImportResult): boolean {
  if (isPaymentsImport(result)) return result.totalProblems === 0 && result.payments > 0;
  return result.totalProblems === 0 && importChanges(result) > 0;
}

export function renderImport(file: string, result: WorkbookImportResult): Rendered {
  return isPaymentsImport(result) ? renderPaymentsImport(file, result) : renderSetupImport(file, result);
}

function renderSetupImport(file: string, result: SetupImportResult): Rendered {
  const name = bold(file);
  let title: string;
  let text: string;
  if (result.totalProblems > 0) {
    title = result.dryRun ? `Import check: ${file}` : `Not imported: ${file}`;
    text =
      `:x: ${name} has ${plural(result.totalProblems, 'problem')}, so nothing was imported. ` +
      'Fix them in the workbook and send it again; the rows without problems are not applied on their own.';
  } else if (!importIsReady(result)) {
    title = `Import check: ${file}`;
    text = `Nothing to import: every row of ${name} matches what is stored.`;
  } else if (result.dryRun) {
    title = `Import preview: ${file}`;
    text = `${name} is ready to import. Nothing has changed yet: confirm to apply all of it at once, or cancel.`;
  } else if (result.applied) {
    title = `Imported: ${file}`;
    text = `:white_check_mark: Imported ${name}: every row was applied at once.`;
  } else {
    title = `Not imported: ${file}`;
    text = `${name} was not imported.`;
  }
  const blocks: KnownBlock[] = [header(title), { ...section(text), block_id: IMPORT_SUMMARY_BLOCK_ID }];
  blocks.push(
    ...fields([
      ['Accounts', countsText(result.accounts)],
      ['Packages', countsText(result.packages)],
      ['Account Packages', countsText(result.accountPackages)],
      ['Bill Runs', countsText(result.billRuns)],
    ]),
  );
  if (result.billGroupsCreated.length) {
    blocks.push(context(`New bill groups${result.applied ? '' : ' (created when applied)'}: ${result.billGroupsCreated.map(escapeMrkdwn).join(', ')}`));
  }
  blocks.push(...problemAndWarningBlocks(result));
  const summary =
    `${title}: accounts ${countsText(result.accounts)}; packages ${countsText(result.packages)}; ` +
    `account packages ${countsText(result.accountPackages)}; bill runs ${countsText(result.billRuns)}` +
    (result.totalProblems ? `; ${plural(result.totalProblems, 'problem')}, nothing imported.` : '.');
  return { text: escapeMrkdwn(summary), blocks };
}

/** The Slack action ids and block id of an import preview's Confirm and Cancel buttons. */
export interface ImportDecisionIds {
  blockId: string;
  confirm: string;
  cancel: string;
}

function decisionButtons(ids: ImportDecisionIds, pending: string): types.ActionsBlock {
  const value = JSON.stringify({ pending });
  return {
    type: 'actions',
    block_id: ids.blockId,
    elements: [
      { type: 'button', action_id: ids.confirm, text: { type: 'plain_text', text: 'Confirm import' }, style: 'primary', value },
      { type: 'button', action_id: ids.cancel, text: { type: 'plain_text', text: 'Cancel' }, value },
    ],
  };
}

/** The preview of a checked workbook (`rendered`: the import outcome); with Confirm and Cancel when `pending` (the held file) can be applied. */
export function withImportDecision(rendered: Rendered, ids: ImportDecisionIds, pending: string | null): Rendered {
  if (!pending) return rendered;
  return { text: rendered.text, blocks: [...rendered.blocks.slice(0, MAX_BLOCKS - 1), decisionButtons(ids, pending)] };
}

/** A held workbook as its decision tells it (billing's pending import). */
export interface DecidedImport {
  fileName: string;
  status: string;
  decidedBy: string | null;
  decidedAt: Date | null;
}

/** A held workbook's Confirm or Cancel clicked once it was decided: what happened to it, by whom, when. */
export function importDecidedBefore(p: DecidedImport): string {
  const who = p.decidedBy ? ` by <@${p.decidedBy}>` : '';
  const when = p.decidedAt ? ` at ${p.decidedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
  const name = `*${escapeMrkdwn(p.fileName)}*`;
  switch (p.status) {
    case 'applied':
      return `${name} was already imported${who}${when}; it is not imported again.`;
    case 'failed':
      return `${name} was already tried${who}${when} and had problems, so nothing was imported; fix them and send the file again.`;
    case 'cancelled':
      return `${name} was cancelled${who}${when}; send the file again to import it.`;
    default:
      return `${name} cannot be decided now; send the file again.`;
  }
}

/** A held workbook cancelled with its Cancel button. */
export function importCancelled(fileName: string): string {
  return `Cancelled: nothing was imported from *${escapeMrkdwn(fileName)}*.`;
}
