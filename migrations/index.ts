import type { Knex } from 'knex';
import * as m001 from './20261122_001_create_settings';
import * as m002 from './20261122_002_create_accounts';
import * as m003 from './20261122_003_create_packages';
import * as m004 from './20261122_004_create_bill_run_configurations';
import * as m005 from './20261122_005_create_bill_runs';
import * as m006 from './20261122_006_create_invoices';
import * as m007 from './20261122_007_create_credits';
import * as m008 from './20261122_008_create_transactions';
import * as m009 from './20261122_009_create_disbursements';
import * as m010 from './20261122_010_create_credit_events';
import * as m011 from './20261122_011_create_add_months_function';
import * as m012 from './20261122_012_create_access_grants';
import * as m013 from './20261122_013_create_audit_log';
import * as m030 from './20261122_030_guard_credit_ledger';
import * as m040 from './20261122_040_create_setup_imports';
import * as m050 from './20261122_050_create_scheduled_fires';
import * as m060 from './20261122_060_inline_add_months';
import * as m061 from './20261122_061_account_packages_fillfactor';
import * as m062 from './20261122_062_deferrable_bill_run_foreign_keys';
import * as m080 from './20261122_080_create_pending_imports';
import * as m090 from './20261122_090_deferrable_credit_invoice_keys';
import * as m100 from './20261122_100_deferrable_account_tree_keys';
import * as m110 from './20261122_110_rename_run_report_delivery';
import * as m120 from './20261122_120_bill_run_keys_per_statement';
import * as m160 from './20261122_160_invoice_key_per_statement';

/** Every migration, in the order it runs. Append new ones at the end; never edit old ones. */
export const migrations: { name: string; migration: Knex.Migration }[] = [
  { name: '20261122_001_create_settings', migration: m001 },
  { name: '20261122_002_create_accounts', migration: m002 },
  { name: '20261122_003_create_packages', migration: m003 },
  { name: '20261122_004_create_bill_run_configurations', migration: m004 },
  { name: '20261122_005_create_bill_runs', migration: m005 },
  { name: '20261122_006_create_invoices', migration: m006 },
  { name: '20261122_007_create_credits', migration: m007 },
  { name: '20261122_008_create_transactions', migration: m008 },
  { name: '20261122_009_create_disbursements', migration: m009 },
  { name: '20261122_010_create_credit_events', migration: m010 },
  { name: '20261122_011_create_add_months_function', migration: m011 },
  { name: '20261122_012_create_access_grants', migration: m012 },
  { name: '20261122_013_create_audit_log', migration: m013 },
  { name: '20261122_030_guard_credit_ledger', migration: m030 },
  { name: '20261122_040_create_setup_imports', migration: m040 },
  { name: '20261122_050_create_scheduled_fires', migration: m050 },
  { name: '20261122_060_inline_add_months', migration: m060 },
  { name: '20261122_061_account_packages_fillfactor', migration: m061 },
  { name: '20261122_062_deferrable_bill_run_foreign_keys', migration: m062 },
  { name: '20261122_080_create_pending_imports', migration: m080 },
  { name: '20261122_090_deferrable_credit_invoice_keys', migration: m090 },
  { name: '20261122_100_deferrable_account_tree_keys', migration: m100 },
  { name: '20261122_110_rename_run_report_delivery', migration: m110 },
  { name: '20261122_120_bill_run_keys_per_statement', migration: m120 },
  { name: '20261122_160_invoice_key_per_statement', migration: m160 },
];
