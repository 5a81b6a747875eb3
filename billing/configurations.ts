import { z } from 'zod';
import { findBillGroup } from './accounts';
import { isoDateSchema, monthOf, Period, period, previousMonthOf } from './dates';
import { InvalidInputError, UnknownConfigurationError } from './errors';
import { firstIssue, nameSchema, paymentTermsSchema, PeriodRule, periodRuleSchema, timeZoneSchema } from './schemas';
import type { Db } from './db';

export interface BillRunConfiguration {
  id: number;
  name: string;
  billPackages: boolean;
  generateInvoice: boolean;
  periodRule: PeriodRule;
  periodStart: string | null;
  periodEnd: string | null;
  billGroups: string[];
  schedule: string | null;
  timeZone: string;
  reportChannel: string | null;
  paused: boolean;
  /** Days from an invoice's date to its due date when its invoicer has no terms; null: 30. */
  paymentTermsDays: number | null;
}

export const configurationInputSchema = z
  .object({
    name: nameSchema,
    billPackages: z.boolean().default(true),
    generateInvoice: z.boolean().default(true),
    periodRule: periodRuleSchema.default('current month'),
    periodStart: isoDateSchema.nullish(),
    periodEnd: isoDateSchema.nullish(),
    billGroups: z.array(nameSchema).default(['Default']),
    schedule: z.string().trim().min(1).nullish(),
    timeZone: timeZoneSchema.default('UTC'),
    reportChannel: z.string().trim().min(1).nullish(),
    paymentTermsDays: paymentTermsSchema.nullish(),
  })
  .refine((c) => c.periodRule !== 'explicit' || (c.periodStart && c.periodEnd && c.periodStart <= c.periodEnd), {
    message: 'An explicit billing period needs a start and an end, the start not after the end.',
  });
export type ConfigurationInput = z.input<typeof configurationInputSchema>;

function toConfiguration(row: any, groups: string[]): BillRunConfiguration {
  return {
    id: row.id,
    name: row.name,
    billPackages: row.bill_packages,
    generateInvoice: row.generate_invoice,
    periodRule: row.period_rule,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    billGroups: groups,
    schedule: row.schedule,
    timeZone: row.time_zone,
    reportChannel: row.report_channel,
    paused: row.paused,
    paymentTermsDays: row.payment_terms_days ?? null,
  };
}

async function groupsOf(db: Db, configurationId: number): Promise<string[]> {
  return db('bill_run_configuration_groups as cg')
    .join('bill_groups as g', 'g.id', 'cg.bill_group_id')
    .where('cg.configuration_id', configurationId)
    .orderBy('g.name')
    .pluck('g.name');
}

/**
 * Finds a configuration by name. Without a name: the one named "Default" if there is
 * one, else the only configuration there is; otherwise the caller must name one.
 */
export async function findConfiguration(db: Db, name?: string | null): Promise<BillRunConfiguration> {
  let row;
  if (name && name.trim()) {
    row = await db('bill_run_configurations').whereRaw('lower(name) = lower(?)', [name.trim()]).first();
  } else {
    row = await db('bill_run_configurations').whereRaw("lower(name) = 'default'").first();
    if (!row) {
      const all = await db('bill_run_configurations').limit(2);
      if (all.length === 1) row = all[0];
    }
  }
  if (!row) {
    const known = await db('bill_run_configurations').orderBy('name').limit(20).pluck('name');
    if (name && name.trim()) throw new UnknownConfigurationError(name.trim(), known);
    // No name given and none to fall back on: say so, rather than 'no configuration named ""'.
    if (known.length === 0) throw new InvalidInputError('There is no bill run configuration yet; create one first.');
    throw new InvalidInputError(
      `Name a bill run configuration, as there is no "Default" one: known configurations are ${known.map((n: string) => `"${n}"`).join(', ')}.`,
    );
  }
  return toConfiguration(row, await groupsOf(db, row.id));
}

export async function listConfigurations(db: Db): Promise<BillRunConfiguration[]> {
  const rows = await db('bill_run_configurations').orderBy('name');
  return Promise.all(rows.map(async (r: any) => toConfiguration(r, await groupsOf(db, r.id))));
}

export async function createConfiguration(db: Db, input: ConfigurationInput): Promise<BillRunConfiguration> {
  const parsed = configurationInputSchema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(firstIssue(parsed.error));
  const data = parsed.data;
  return db.transaction(async (trx) => {
    const existing = await trx('bill_run_configurations').whereRaw('lower(name) = lower(?)', [data.name]).first('id');
    if (existing) throw new InvalidInputError(`A bill run configuration named "${data.name}" already exists.`);
    const groups = await Promise.all(data.billGroups.map((g) => findBillGroup(trx, g)));
    const [row] = await trx('bill_run_configurations')
      .insert({
        name: data.name,
        bill_packages: data.billPackages,
        generate_invoice: data.generateInvoice,
        period_rule: data.periodRule,
        period_start: data.periodRule === 'explicit' ? data.periodStart : null,
        period_end: data.periodRule === 'explicit' ? data.periodEnd : null,
        schedule: data.schedule ?? null,
        time_zone: data.timeZone,
        report_channel: data.reportChannel ?? null,
        payment_terms_days: data.paymentTermsDays ?? null,
      })
      .returning('id');
    if (groups.length) {
      await trx('bill_run_configuration_groups').insert(groups.map((g) => ({ configuration_id: row.id, bill_group_id: g.id })));
    }
    return findConfiguration(trx, data.name);
  });
}

/** The billing period a configuration gives on a run date. */
export function periodFor(config: Pick<BillRunConfiguration, 'periodRule' | 'periodStart' | 'periodEnd'>, runDate: string): Period {
  switch (config.periodRule) {
    case 'current month':
      return monthOf(runDate);
    case 'previous month':
      return previousMonthOf(runDate);
    case 'explicit':
      return period(config.periodStart as string, config.periodEnd as string);
  }
}
