import { escapeMrkdwn } from '../mrkdwn';
import { context, plural, section, type Rendered } from '../kit';

/** The messages about charts: one written to a file (the shell, the CLI), one sent in Slack. */

export interface ChartWritten {
  configuration: string;
  runs: number;
  file: string;
  width: number;
  height: number;
  altText: string;
}

/** A chart written: where, and what it shows in words (the shell's and the CLI's reader may not open it). */
export function renderChartWritten(c: ChartWritten): Rendered {
  const text = `Wrote the run history chart of *${escapeMrkdwn(c.configuration)}* (the last ${plural(c.runs, 'completed run')}) to \`${escapeMrkdwn(c.file)}\` (PNG, ${c.width} × ${c.height} pixels).`;
  return { text, blocks: [section(text), context(escapeMrkdwn(c.altText))] };
}

/** The comment posted with a chart sent in Slack to the person who asked. */
export function chartComment(user: string, configuration: string, runs: number): string {
  return `<@${user}> asked for this: the last ${plural(runs, 'completed bill run')} of *${escapeMrkdwn(configuration)}*. The image's description has every figure.`;
}

/** What the person is told where they asked, when the chart went to their direct message. */
export function chartSent(configuration: string): string {
  return `:inbox_tray: Sent to you in a direct message with billbot: the run history chart of *${escapeMrkdwn(configuration)}*.`;
}

/** The comment posted with the aging report's chart, sent to the person who asked for the report. */
export function agingChartComment(user: string, asOf: string): string {
  return `<@${user}> asked for the aging report: its buckets as of ${asOf}. The image's description has every figure.`;
}
