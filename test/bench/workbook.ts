/**
 * The setup workbook the import figure reads: N accounts (a third of them children invoicing
 * to a parent, spread over ten bill groups), the packages, N account packages (one per
 * account) and a bill run configuration. Written with exceljs's streaming writer, as a
 * spreadsheet program would save it (shared strings, dates as date cells).
 *
 * Every account and account package is active, and every next bill date falls in October 2026
 * (day 1 + g % 28): a run of a configuration over all ten bill groups for that month bills
 * every account package exactly once (see userPathExpectation). `allGroups` adds such a
 * configuration (the user-path benchmark, ./userPath.ts).
 */
import ExcelJS from 'exceljs';

/** The configuration `allGroups` adds: every bill group of the workbook. */
export const ALL_GROUPS_CONFIGURATION = 'All Groups';
/** The month every next bill date of the workbook falls in. */
export const SETUP_PERIOD = { start: '2026-10-01', end: '2026-10-31' };

/**
 * What billing all groups over SETUP_PERIOD must make, from the workbook's construction: one
 * invoice per invoicer (every account but the children, g % 3 = 2), one charge per service
 * of each account package (Managed Network: 2 services; Quarterly Backup, g % 4 = 0: 1), and
 * every account package's next bill date moved.
 */
export function userPathExpectation(accounts: number): { invoices: number; charges: number; accountPackages: number } {
  let invoices = 0;
  let charges = 0;
  for (let g = 1; g <= accounts; g++) {
    if (g % 3 !== 2) invoices += 1;
    charges += g % 4 === 0 ? 1 : 2;
  }
  return { invoices, charges, accountPackages: accounts };
}

/** The month after SETUP_PERIOD: the user path's second run (the one Slack commands arrive during). */
export const NEXT_PERIOD = { start: '2026-11-01', end: '2026-11-30' };

/**
 * What billing all groups over NEXT_PERIOD, right after SETUP_PERIOD's run, must make: the
 * monthly packages (Managed Network, g % 4 != 0) fall due again in November, the quarterly ones
 * (g % 4 = 0) not before January; an invoice for each invoicer whose family (itself, and
 * g + 1 when that is its child) has a monthly package.
 */
export function nextMonthExpectation(accounts: number): { invoices: number; charges: number; accountPackages: number } {
  let invoices = 0;
  let monthly = 0;
  const isMonthly = (g: number) => g % 4 !== 0;
  for (let g = 1; g <= accounts; g++) {
    if (isMonthly(g)) monthly += 1;
    if (g % 3 === 2) continue;
    const childMonthly = g % 3 === 1 && g + 1 <= accounts && isMonthly(g + 1);
    if (isMonthly(g) || childMonthly) invoices += 1;
  }
  return { invoices, charges: 2 * monthly, accountPackages: monthly };
}

export async function writeSetupWorkbook(file: string, accounts: number, options: { allGroups?: boolean } = {}): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: true });
  const name = (g: number) => `Import ${String(g).padStart(7, '0')}`;

  const sheet = wb.addWorksheet('Accounts');
  sheet.addRow(['Name', 'Display Name', 'Currency', 'Status', 'Bill Group', 'Bill Day', 'Parent', 'Invoice To']).commit();
  for (let g = 1; g <= accounts; g++) {
    const child = g % 3 === 2;
    const parent = child ? name(g - 1) : null;
    sheet.addRow([name(g), `Imported customer ${g}`, 'USD', 'active', `Group ${g % 10}`, 1 + (g % 28), parent, parent]).commit();
  }
  sheet.commit();

  const packages = wb.addWorksheet('Packages');
  packages.addRow(['Package', 'Currency', 'Frequency', 'Service', 'Price']).commit();
  packages.addRow(['Managed Network', 'USD', 'monthly', 'Network Monitoring', 100]).commit();
  packages.addRow(['Managed Network', 'USD', 'monthly', 'Support', 40]).commit();
  packages.addRow(['Quarterly Backup', 'USD', 'quarterly', 'Backup', 300]).commit();
  packages.commit();

  const aps = wb.addWorksheet('Account Packages');
  aps.addRow(['Account', 'Package', 'Quantity', 'Status', 'Effective Date', 'Next Bill Date']).commit();
  for (let g = 1; g <= accounts; g++) {
    const day = new Date(Date.UTC(2026, 9, 1 + (g % 28)));
    const row = aps.addRow([name(g), g % 4 === 0 ? 'Quarterly Backup' : 'Managed Network', 1 + (g % 3 === 0 ? 1 : 0), 'active', day, day]);
    row.getCell(5).numFmt = 'yyyy-mm-dd';
    row.getCell(6).numFmt = 'yyyy-mm-dd';
    row.commit();
  }
  aps.commit();

  const runs = wb.addWorksheet('Bill Runs');
  runs.addRow(['Name', 'Bill Packages', 'Generate Invoice', 'Period', 'Bill Groups', 'Schedule', 'Time Zone', 'Report Channel']).commit();
  runs.addRow(['Monthly Import', 'yes', 'yes', 'previous month', 'Group 0, Group 1, Group 2', '0 6 1 * *', 'UTC', null]).commit();
  if (options.allGroups) {
    const groups = Array.from({ length: 10 }, (_, i) => `Group ${i}`).join(', ');
    runs.addRow([ALL_GROUPS_CONFIGURATION, 'yes', 'yes', 'previous month', groups, null, 'UTC', null]).commit();
  }
  runs.commit();
  await wb.commit();
}
