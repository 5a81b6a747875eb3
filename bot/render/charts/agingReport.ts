import { AGING_BUCKETS, type AgingReport } from '../../../billing';
import { BUCKET_LABELS } from '../receivables';
import { agingChart } from './aging';
import type { ChartImage } from './image';

/**
 * The aging report's bar chart: its buckets per currency (in the report's order, the first
 * MAX_AGING_PANELS drawn, every one in the alt text), as of its day; null when nothing is owed.
 */
export function agingReportChart(report: AgingReport): ChartImage | null {
  if (report.totals.length === 0) return null;
  const data = report.totals.map((t) => ({
    currency: t.currency,
    buckets: AGING_BUCKETS.map((b) => ({ label: BUCKET_LABELS[b], amount: t.buckets[b] })),
  }));
  return agingChart(data, { asOf: report.asOf });
}
