import type { Writable } from 'node:stream';
import { AGING_BUCKETS, type AgingBucket, type Billing } from '../billing';
import { copySheet, writeWorkbook } from './exports';
import type { ColumnSpec, OutValue } from './xlsx';

/**
 * The receivables exports, like the others (sheets/exports.ts): amounts as numbers in the
 * currency's format, dates as dates, a frozen bold header with an autofilter, streamed out.
 * What they hold is read before the first byte is written, so a refusal (an unknown account,
 * a bad date) leaves no file.
 */

const BUCKET_HEADERS: Record<AgingBucket, string> = {
  current: 'Current',
  '1-30': '1-30 Days',
  '31-60': '31-60 Days',
  '61-90': '61-90 Days',
  'over 90': 'Over 90 Days',
};

/** Columns from [header, width, kind] triples. */
const columns = (specs: [string, number, ColumnSpec['kind']][]): ColumnSpec[] => specs.map(([header, width, kind]) => ({ header, width, kind }));

const bucketColumns = columns(AGING_BUCKETS.map((b) => [BUCKET_HEADERS[b], 14, 'money']));
const AGING_COLUMNS = [...columns([['Account', 28, 'text'], ['Currency', 10, 'text']]), ...bucketColumns,
  ...columns([['Total', 14, 'money'], ['Invoices', 10, 'integer'], ['Oldest Due Date', 15, 'date']])];
const AGING_TOTAL_COLUMNS = [...columns([['As Of', 12, 'date'], ['Currency', 10, 'text']]), ...bucketColumns,
  ...columns([['Total', 14, 'money'], ['Accounts', 10, 'integer'], ['Invoices', 10, 'integer']])];

export interface AgingExportCounts {
  agingAccounts: number;
  currencies: number;
}

const amounts = (buckets: Record<AgingBucket, string>, currency: string): OutValue[] => AGING_BUCKETS.map((b) => ({ amount: buckets[b], currency }));

/** The aging report as of a day (null: today): every account that owes something (sheet Aging), and the totals per currency (sheet Totals). */
export async function exportAging(billing: Billing, out: Writable | string, asOf: string | null = null): Promise<AgingExportCounts> {
  return writeWorkbook(billing, out, async () => {
    const [accounts, report] = await Promise.all([billing.receivables.agingAccounts(asOf), billing.receivables.aging(asOf)]);
    return async (writer) => ({
      agingAccounts: await copySheet(writer, 'Aging', AGING_COLUMNS, [accounts], (a) => [
        a.account, a.currency, ...amounts(a.buckets, a.currency), { amount: a.total, currency: a.currency }, a.invoices, a.oldestDue,
      ]),
      currencies: await copySheet(writer, 'Totals', AGING_TOTAL_COLUMNS, [report.totals], (t) => [
        report.asOf, t.currency, ...amounts(t.buckets, t.currency), { amount: t.total, currency: t.currency }, t.accounts, t.invoices,
      ]),
    });
  });
}

const STATEMENT_COLUMNS = columns([
  ['Date', 12, 'date'], ['Kind', 18, 'text'], ['Reference', 14, 'text'], ['Detail', 40, 'text'],
  ['Amount', 14, 'money'], ['Balance', 14, 'money'], ['Currency', 10, 'text'],
]);

export interface StatementExportCounts {
  statementLines: number;
}

/**
 * An account's statement from..to: a row "opening balance", one row per line with its running
 * balance, a row "closing balance" (sheet Statement).
 */
export async function exportStatement(
  billing: Billing,
  out: Writable | string,
  account: string,
  period: { from?: string | null; to?: string | null } = {},
): Promise<StatementExportCounts> {
  return writeWorkbook(billing, out, async () => {
    const s = await billing.receivables.statement(account, period);
    const cur = s.currency;
    const m = (amount: string | null) => (amount === null ? null : { amount, currency: cur });
    type Row = [string | null, string, string, string, string | null, string];
    const rows: Row[] = [
      [s.from, 'opening balance', '', s.account, null, s.openingBalance],
      ...s.lines.map((l): Row => [l.date, l.kind, l.reference, l.detail, l.amount, l.balance]),
      [s.to, 'closing balance', '', s.account, null, s.closingBalance],
    ];
    return async (writer) => {
      const written = await copySheet(writer, 'Statement', STATEMENT_COLUMNS, [rows], (r) => [r[0], r[1], r[2], r[3], m(r[4]), m(r[5]), cur]);
      return { statementLines: written - 2 };
    };
  });
}
