import { ADDRESS_FIELDS, addressOf, type Address } from '../address';
import { formatPeriodText } from '../setup';
import type { PeriodRule } from '../schemas';
import type { Tx } from '../db';
import { DEFAULT_BATCH_SIZE, queryRows } from './cursor';

/** The rows of the setup workbook's sheets (what /billing export accounts writes), as stored. */

export interface AccountExportRow extends Address {
  name: string;
  displayName: string | null;
  currency: string;
  status: string;
  billGroup: string;
  billDay: number;
  parent: string | null;
  invoiceTo: string | null;
  paymentTerms: number | null;
}

export function accountExportRows(trx: Tx, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<AccountExportRow[]> {
  return queryRows(
    trx,
    `SELECT a.name, a.display_name, a.currency, a.status, g.name AS bill_group, a.bill_day, p.name AS parent, i.name AS invoicer,
            ${ADDRESS_FIELDS.map((f) => `a.${f.column}`).join(', ')},
            a.payment_terms_days
     FROM accounts a
     JOIN bill_groups g ON g.id = a.bill_group_id
     LEFT JOIN accounts p ON p.id = a.parent_id
     LEFT JOIN accounts i ON i.id = a.invoicer_id
     ORDER BY a.id`,
    [],
    batchSize,
    (r) => ({
      name: r.name,
      displayName: r.display_name,
      currency: r.currency,
      status: r.status,
      billGroup: r.bill_group,
      billDay: r.bill_day,
      parent: r.parent,
      invoiceTo: r.invoicer,
      ...addressOf(r),
      paymentTerms: r.payment_terms_days,
    }),
  );
}

export interface PackageServiceExportRow {
  package: string;
  currency: string;
  frequency: string;
  status: string;
  service: string;
  price: string;
}

export function packageServiceExportRows(trx: Tx, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<PackageServiceExportRow[]> {
  return queryRows(
    trx,
    `SELECT p.name AS package, p.currency, p.frequency, p.status, s.name AS service, s.price
     FROM services s JOIN packages p ON p.id = s.package_id
     ORDER BY p.id, s.id`,
    [],
    batchSize,
    (r) => ({ package: r.package, currency: r.currency, frequency: r.frequency, status: r.status, service: r.service, price: r.price }),
  );
}

export interface AccountPackageExportRow {
  account: string;
  package: string;
  quantity: number;
  status: string;
  effectiveDate: string;
  nextBillDate: string;
  cancelDate: string | null;
}

/** Per account and package, the live account package, else the most recent cancelled one (what a setup row matches). */
export function accountPackageExportRows(trx: Tx, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<AccountPackageExportRow[]> {
  return queryRows(
    trx,
    `SELECT a.name AS account, p.name AS package, ap.quantity, ap.status, ap.effective_date, ap.next_bill_date, ap.cancel_date
     FROM account_packages ap
     JOIN accounts a ON a.id = ap.account_id
     JOIN packages p ON p.id = ap.package_id
     WHERE NOT EXISTS (
       SELECT 1 FROM account_packages b
       WHERE b.account_id = ap.account_id AND b.package_id = ap.package_id AND b.id <> ap.id
         AND ((b.status <> 'cancelled') > (ap.status <> 'cancelled')
              OR ((b.status <> 'cancelled') = (ap.status <> 'cancelled') AND b.id > ap.id)))
     ORDER BY ap.id`,
    [],
    batchSize,
    (r) => ({
      account: r.account,
      package: r.package,
      quantity: r.quantity,
      status: r.status,
      effectiveDate: r.effective_date,
      nextBillDate: r.next_bill_date,
      cancelDate: r.cancel_date,
    }),
  );
}

export interface ConfigurationExportRow {
  name: string;
  billPackages: boolean;
  generateInvoice: boolean;
  /** As a setup row writes it: "current month", "previous month" or "2026-09-01 to 2026-09-30". */
  period: string;
  billGroups: string[];
  schedule: string | null;
  timeZone: string;
  reportChannel: string | null;
  paymentTerms: number | null;
}

export async function configurationExportRows(trx: Tx): Promise<ConfigurationExportRow[]> {
  const rows = await trx('bill_run_configurations as c')
    .leftJoin('bill_run_configuration_groups as cg', 'cg.configuration_id', 'c.id')
    .leftJoin('bill_groups as g', 'g.id', 'cg.bill_group_id')
    .groupBy('c.id')
    .orderBy('c.id')
    .select('c.*', trx.raw(`coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name IS NOT NULL), '{}') AS groups`));
  return rows.map((r: any) => ({
    name: r.name,
    billPackages: r.bill_packages,
    generateInvoice: r.generate_invoice,
    period: formatPeriodText(r.period_rule as PeriodRule, r.period_start, r.period_end),
    billGroups: r.groups,
    schedule: r.schedule,
    timeZone: r.time_zone,
    reportChannel: r.report_channel,
    paymentTerms: r.payment_terms_days,
  }));
}
