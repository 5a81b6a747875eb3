import { ADDRESS_FIELDS } from '../billing';
import type { ColumnKind } from './xlsx';

/**
 * The setup workbook's sheets and columns (the issue "Workbooks"): the first row of each
 * sheet holds these headers, case and spacing forgiven.
 */

/** How a cell is read: liberal in form (numbers from text, dates from date cells or text), strict in what is accepted. */
export type ReadKind = 'text' | 'integer' | 'date' | 'amount' | 'yesno' | 'list';

export interface SetupColumn {
  header: string;
  /** The field of the billing setup row (billing/setup.ts). */
  field: string;
  read: ReadKind;
  write: ColumnKind;
  width: number;
  /** A sheet without this column is refused. */
  required?: boolean;
}

export type SetupSheetKey = 'accounts' | 'packages' | 'accountPackages' | 'billRuns';

export interface SetupSheet {
  key: SetupSheetKey;
  name: string;
  /** Other names the sheet is known by. */
  aliases: string[];
  columns: SetupColumn[];
}

const col = (header: string, field: string, read: ReadKind, write: ColumnKind, width: number, required = false): SetupColumn => ({
  header,
  field,
  read,
  write,
  width,
  required,
});

export const SETUP_SHEETS: SetupSheet[] = [
  {
    key: 'accounts',
    name: 'Accounts',
    aliases: [],
    columns: [
      col('Name', 'name', 'text', 'text', 28, true),
      col('Display Name', 'displayName', 'text', 'text', 32),
      col('Currency', 'currency', 'text', 'text', 10),
      col('Status', 'status', 'text', 'text', 12),
      col('Bill Group', 'billGroup', 'text', 'text', 18),
      col('Bill Day', 'billDay', 'integer', 'integer', 10),
      col('Parent', 'parent', 'text', 'text', 28),
      col('Invoice To', 'invoiceTo', 'text', 'text', 28),
      // Optional (a workbook without them still imports): the address printed on invoices.
      ...ADDRESS_FIELDS.map((f) => col(f.header, f.key, 'text', 'text', f.key.startsWith('address') ? 32 : 16)),
      col('Payment Terms', 'paymentTerms', 'integer', 'integer', 14),
    ],
  },
  {
    key: 'packages',
    name: 'Packages',
    aliases: [],
    columns: [
      col('Package', 'package', 'text', 'text', 28, true),
      col('Currency', 'currency', 'text', 'text', 10),
      col('Frequency', 'frequency', 'text', 'text', 12),
      col('Service', 'service', 'text', 'text', 28, true),
      col('Price', 'price', 'amount', 'money', 14, true),
    ],
  },
  {
    key: 'accountPackages',
    name: 'Account Packages',
    aliases: [],
    columns: [
      col('Account', 'account', 'text', 'text', 28, true),
      col('Package', 'package', 'text', 'text', 28, true),
      col('Quantity', 'quantity', 'integer', 'integer', 10),
      col('Status', 'status', 'text', 'text', 12),
      col('Effective Date', 'effectiveDate', 'date', 'date', 14),
      col('Next Bill Date', 'nextBillDate', 'date', 'date', 14),
    ],
  },
  {
    key: 'billRuns',
    name: 'Bill Runs',
    aliases: ['Bill Run Configurations', 'Configurations'],
    columns: [
      col('Name', 'name', 'text', 'text', 24, true),
      col('Bill Packages', 'billPackages', 'yesno', 'yesno', 14),
      col('Generate Invoice', 'generateInvoice', 'yesno', 'yesno', 16),
      col('Period', 'period', 'text', 'text', 26),
      col('Bill Groups', 'billGroups', 'list', 'text', 24),
      col('Schedule', 'schedule', 'text', 'text', 16),
      col('Time Zone', 'timeZone', 'text', 'text', 20),
      col('Report Channel', 'reportChannel', 'text', 'text', 18),
      col('Payment Terms', 'paymentTerms', 'integer', 'integer', 14),
    ],
  },
];

/** A sheet that explains the others; it is read past without a warning. */
export const README_SHEET = 'Read Me';

/** Headers and sheet names compare without case, spaces, underscores or hyphens. */
export function normalizeHeader(text: string): string {
  return text.toLowerCase().replace(/[\s_\-]+/g, '');
}

export function findSetupSheet(name: string): SetupSheet | undefined {
  const n = normalizeHeader(name);
  return SETUP_SHEETS.find((s) => normalizeHeader(s.name) === n || s.aliases.some((a) => normalizeHeader(a) === n));
}

/** The column a billing field is read from, for problems. */
export function headerOf(sheet: SetupSheet, field: string): string {
  return sheet.columns.find((c) => c.field === field)?.header ?? field;
}

export const README_LINES: string[][] = [
  ['Sheet', 'What one row is', 'Notes'],
  ['Accounts', 'An account', 'Name is required. Currency is required for a new account. Status: active, inactive or cancelled. Bill Day 1-28. Parent and Invoice To name other accounts (in this workbook or already stored); leave Invoice To blank for an account that invoices itself. A bill group that does not exist is created. Address Line 1, Address Line 2, City, Region, Postal Code and Country are optional (at most 200 characters each): the address printed on the invoices the account receives. Payment Terms: days after the invoice date its invoices are due (0-3650; blank: the bill run configuration\'s, else 30).'],
  ['Packages', 'One service of a package', 'Rows with the same Package form one package. Frequency: monthly, quarterly, semiannual or annual. Price with at most the currency\'s decimals.'],
  ['Account Packages', 'A package on an account', 'Matched on Account and Package. Status: active, pending, suspended or cancelled. Dates as dates or YYYY-MM-DD; Next Bill Date defaults to the Effective Date.'],
  ['Bill Runs', 'A bill run configuration', 'Bill Packages and Generate Invoice: yes or no. Period: current month, previous month, or 2026-09-01 to 2026-09-30. Bill Groups separated by commas. Schedule: a cron expression such as 0 6 1 * *. Payment Terms: days after the invoice date its invoices are due when the invoicer account has none (0-3650; blank: 30).'],
  ['', '', ''],
  ['Rules', '', 'Every sheet is optional. A known name updates, a new one is created, an identical row is unchanged. Everything is checked before anything is written; one problem means nothing changes. A blank cell clears an optional value (Display Name, Parent, Invoice To, the address, Schedule, Report Channel, Payment Terms) and keeps the stored value otherwise; a missing column keeps the stored values.'],
];
