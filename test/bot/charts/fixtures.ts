import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunHistory } from '../../../billing';
import { agingChart, runHistoryChart, type AgingChartData } from '../../../bot/render/charts';

/**
 * The data of the charts' golden images, and how to write them again after a deliberate change
 * of the charts' look (then look at them before committing):
 *
 *   npx tsx test/bot/charts/fixtures.ts
 *
 * The run history golden is also the chart the README shows.
 */

export const GOLDEN = {
  runHistory: path.join(__dirname, 'golden', 'run-history.png'),
  aging: path.join(__dirname, 'golden', 'aging.png'),
};

const MONTHS = ['2025-11', '2025-12', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10'];
const INVOICES = [212, 215, 219, 224, 223, 231, 236, 240, 238, 247, 252, 258];
const AMOUNTS = ['30744.00', '31190.50', '31802.00', '32516.75', '32380.00', '33605.25', '34310.00', '34920.40', '34598.00', '35961.10', '36702.00', '37619.80'];

function lastDay(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return `${month}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`;
}

/** A year of monthly runs of one configuration in one currency, #107 to #118. */
export function yearOfRuns(): RunHistory {
  return {
    configuration: 'Monthly Billing',
    runs: MONTHS.map((month, i) => ({
      id: 107 + i,
      account: null,
      periodStart: `${month}-01`,
      periodEnd: lastDay(month),
      finishedAt: `${lastDay(month)}T06:04:00.000Z`,
      invoices: INVOICES[i],
      totals: [{ currency: 'USD', amount: AMOUNTS[i] }],
    })),
  };
}

export function agingData(): AgingChartData {
  return {
    currency: 'USD',
    buckets: [
      { label: 'current', amount: '37619.80' },
      { label: '1–30 days', amount: '12480.25' },
      { label: '31–60 days', amount: '4310.00' },
      { label: '61–90 days', amount: '1275.50' },
      { label: 'over 90 days', amount: '640.00' },
    ],
  };
}

export const AGING_AS_OF = '2026-11-15';

if (require.main === module) {
  writeFileSync(GOLDEN.runHistory, runHistoryChart(yearOfRuns(), { highlight: 118 }).png);
  writeFileSync(GOLDEN.aging, agingChart(agingData(), { asOf: AGING_AS_OF }).png);
  process.stdout.write(`Wrote ${GOLDEN.runHistory} and ${GOLDEN.aging}.\n`);
}
