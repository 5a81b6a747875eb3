import type { Billing } from '../../billing';
import type { ChartImage } from '../render/charts';

/** Builds the chart attached to a completed run's report, or null when there is none to attach. */
export type RunChartSource = (billing: Billing, runId: number) => Promise<ChartImage | null>;

/** Runs a report's chart shows: the configuration's last completed runs, up to the reported one. */
export const REPORT_CHART_RUNS = 12;

/**
 * A run's report chart: its configuration's last 12 completed runs up to it (never later ones,
 * when a report is posted late), invoices and amount per run, the run itself highlighted. The
 * chart's renderer (chart.js, Skia) is loaded with the first chart.
 */
export const runHistoryChartSource: RunChartSource = async (billing, runId) => {
  const report = await billing.getBillRunReport(runId, 0);
  if (report.run.status !== 'completed') return null;
  const history = await billing.runHistory(report.run.configuration, { last: REPORT_CHART_RUNS, through: runId });
  if (!history.runs.some((r) => r.id === runId)) return null;
  const { runHistoryChart } = await import('../render/charts');
  return runHistoryChart(history, { highlight: runId });
};
