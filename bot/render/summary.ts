import type { BillRunReport } from '../../billing';
import { bold, escapeMrkdwn } from './mrkdwn';
import { errorForPeople } from './runError';
import { clip, grouped, money, plural } from './kit';

/** A bill run's one-line summary, the `text` of its notices and channel reports; an invoice as their lists show it. */

/** One line of a list at most (a 200-character account, its package and a skip's reason fit). */
export const LINE_MAX = 400;

export const invoiceLine = (i: BillRunReport['invoices'][number]): string =>
  clip(`*${i.number}* to ${bold(i.invoicer)}: total ${money(i.total, i.currency)}, balance ${money(i.balance, i.currency)} (${i.status})`, LINE_MAX);

/** The amount invoiced, each currency formatted: "$1,234.50 + ¥14,000", or "nothing". */
export function invoicedTotal(byCurrency: Record<string, string>): string {
  const entries = Object.entries(byCurrency).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([cur, amount]) => money(amount, cur)).join(' + ') : 'nothing';
}

/** What was billed, as people name it: an account (using its configuration) or a configuration's bill groups. */
export function billingWhat(run: BillRunReport['run']): string {
  return run.account ? `${escapeMrkdwn(run.account)} using ${escapeMrkdwn(run.configuration)}` : escapeMrkdwn(run.configuration);
}

/** The one-line summary (a message's `text`): run, configuration, period, invoices, total, failures. */
export function reportSummary(report: BillRunReport): string {
  const { run, totals } = report;
  // A small run names its invoices (at most 3): "2 invoices (INV-000018, INV-000019)".
  const named =
    totals.invoicesCreated <= 3 && report.invoices.length === totals.invoicesCreated ? ` (${report.invoices.map((i) => i.number).join(', ')})` : '';
  const invoices = totals.invoicesCreated
    ? `${plural(totals.invoicesCreated, 'invoice', 'invoices', grouped)}${named}, total ${invoicedTotal(totals.invoicedByCurrency)}`
    : 'no invoice';
  const counts = `${invoices}, ${plural(totals.accountsBilled, 'account', 'accounts', grouped)} billed, ${grouped(totals.packagesSkipped)} skipped`;
  if (report.preview) return `Preview (nothing was written) of billing ${billingWhat(run)} for ${run.periodStart} to ${run.periodEnd}: ${counts}.`;
  const failure = run.status === 'failed' ? `; it failed: ${clip(escapeMrkdwn(errorForPeople(run.error)), 300)}` : '';
  return `Bill run #${run.id} ${run.status}: ${billingWhat(run)}, ${run.periodStart} to ${run.periodEnd}: ${counts}${failure}.`;
}
