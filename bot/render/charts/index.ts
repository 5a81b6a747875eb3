/**
 * Charts as PNG images with alt text that states their figures: pure functions from billing's
 * data to an image (chart.js on @napi-rs/canvas, loaded with the first chart). Like the rest of
 * bot/render, they import no face; Slack uploads them, the shell and the CLI write them to files.
 */
export { runHistoryChart, runHistoryAltText, MAX_CURRENCY_PANELS } from './runHistory';
export type { RunHistoryChartOptions } from './runHistory';
export { agingChart, agingAltText, MAX_AGING_PANELS } from './aging';
export type { AgingChartData, AgingChartOptions } from './aging';
export { agingReportChart } from './agingReport';
export type { ChartImage } from './image';
export { MAX_ALT_TEXT } from './theme';
