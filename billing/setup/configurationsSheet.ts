import { key } from './rows';
import { SetupCheck, StoredConfiguration, storedByKeyAndId } from './state';
import type { PlannedConfiguration, PlannedPeriod } from './types';

/** A bill run configuration as the rows would store it (stored values where a row gives none). */
export interface ConfigurationChange {
  stored: StoredConfiguration | null;
  name: string;
  billPackages: boolean;
  generateInvoice: boolean;
  period: PlannedPeriod;
  groups: string[];
  schedule: string | null;
  timeZone: string;
  reportChannel: string | null;
  paymentTermsDays: number | null;
}

/**
 * The Bill Runs sheet against what is stored: the bill groups it names (created when
 * missing), defaults for a new configuration, and which rows create or change one (counted).
 */
export async function checkConfigurations<R>(check: SetupCheck<R>): Promise<ConfigurationChange[]> {
  const { outcome, groups } = check;
  const stored = await storedConfigurations(check);
  const changes: ConfigurationChange[] = [];
  for (const c of check.plan.configurations) {
    const old = stored.get(key(c.name)) ?? null;
    for (const g of c.billGroups ?? []) groups.use(g);
    const next = merged(check, c, old);
    if (c.billGroups === undefined && !old) groups.use('Default');
    if (!old) {
      outcome.configurations.created++;
      changes.push(next);
      continue;
    }
    const same =
      next.billPackages === old.bill_packages &&
      next.generateInvoice === old.generate_invoice &&
      next.period.rule === old.period_rule &&
      next.period.start === old.period_start &&
      next.period.end === old.period_end &&
      sameSet(next.groups.map(key), old.groups.map((id) => groups.keyById.get(id)!)) &&
      next.schedule === old.schedule &&
      next.timeZone === old.time_zone &&
      next.reportChannel === old.report_channel &&
      next.paymentTermsDays === old.payment_terms_days;
    if (same) outcome.configurations.unchanged++;
    else {
      outcome.configurations.updated++;
      changes.push(next);
    }
  }
  return changes;
}

async function storedConfigurations<R>({ trx }: SetupCheck<R>): Promise<Map<string, StoredConfiguration>> {
  const configurationRows = await trx('bill_run_configurations').select('*');
  const configurationGroups = await trx('bill_run_configuration_groups').select('configuration_id', 'bill_group_id');
  const { byKey, byId } = storedByKeyAndId(configurationRows, (c): StoredConfiguration => ({ ...c, groups: [] }));
  for (const g of configurationGroups) byId.get(g.configuration_id)?.groups.push(g.bill_group_id);
  return byKey;
}

function merged<R>(check: SetupCheck<R>, c: PlannedConfiguration<R>, stored: StoredConfiguration | null): ConfigurationChange {
  return {
    stored,
    name: c.name,
    billPackages: c.billPackages ?? stored?.bill_packages ?? true,
    generateInvoice: c.generateInvoice ?? stored?.generate_invoice ?? true,
    period: c.period ?? (stored ? { rule: stored.period_rule, start: stored.period_start, end: stored.period_end } : { rule: 'current month' as const, start: null, end: null }),
    groups: c.billGroups ?? (stored ? stored.groups.map((id) => check.groups.keyById.get(id)!) : ['Default']),
    schedule: c.schedule === undefined ? (stored?.schedule ?? null) : c.schedule,
    timeZone: c.timeZone ?? stored?.time_zone ?? 'UTC',
    reportChannel: c.reportChannel === undefined ? (stored?.report_channel ?? null) : c.reportChannel,
    paymentTermsDays: c.paymentTermsDays === undefined ? (stored?.payment_terms_days ?? null) : c.paymentTermsDays,
  };
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}
