import { Money, type RunHistory, type RunHistoryEntry } from '../../../billing';
import { clip, grouped, money, plural } from '../kit';
import { axisAmount, barPanel } from './bars';
import { drawImage, type ImageSpec } from './canvas';
import { fitAltText, fileSlug, type ChartImage } from './image';
import { COLORS } from './theme';

/**
 * The run history chart: a configuration's last completed bill runs, one bar each, in a panel
 * of invoices created and a panel of the amount invoiced per currency (amounts of different
 * currencies are never added up). The run being reported (or, on demand, the latest) is dark
 * blue with its figures above its bars; the others grey. The alt text states every figure.
 */

/** Amount panels drawn at most (the alt text names every currency). */
export const MAX_CURRENCY_PANELS = 3;
const INVOICES_HEIGHT = 190;
const AMOUNT_HEIGHT = 230;

export interface RunHistoryChartOptions {
  /** The run the chart is for (the report's run); null: the latest is marked as such. */
  highlight?: number | null;
}

/**
 * The currencies of a history in the order their panels come: those of the marked run first,
 * then those of the most runs, then by code (the panels past MAX_CURRENCY_PANELS are not drawn).
 */
export function historyCurrencies(history: RunHistory, marked: number | null): string[] {
  const runsWith = new Map<string, number>();
  for (const t of history.runs.flatMap((r) => r.totals)) runsWith.set(t.currency, (runsWith.get(t.currency) ?? 0) + 1);
  const inMarked = new Set(history.runs.find((r) => r.id === marked)?.totals.map((t) => t.currency) ?? []);
  const rank = (c: string) => (inMarked.has(c) ? 1 : 0);
  return [...runsWith.keys()].sort((a, b) => rank(b) - rank(a) || runsWith.get(b)! - runsWith.get(a)! || a.localeCompare(b));
}

function amountOf(run: RunHistoryEntry, currency: string): string | null {
  return run.totals.find((t) => t.currency === currency)?.amount ?? null;
}

/** The chart's image layout: its panels, titles and footnotes. */
export function runHistorySpec(history: RunHistory, marked: number | null, reported: boolean): ImageSpec {
  const runs = history.runs;
  const emphasis = marked === null ? null : runs.findIndex((r) => r.id === marked);
  const at = emphasis !== null && emphasis >= 0 ? emphasis : null;
  const colors = runs.map((_, i) => (i === at ? COLORS.highlight : COLORS.other));
  const categories = runs.map((r) => [`#${r.id}`, r.periodStart]);
  const currencies = historyCurrencies(history, marked);
  const drawn = currencies.slice(0, MAX_CURRENCY_PANELS);
  const panels = [
    barPanel({
      title: 'Invoices created',
      height: INVOICES_HEIGHT,
      categories,
      values: runs.map((r) => r.invoices),
      colors,
      valueLabels: runs.map((r) => grouped(r.invoices)),
      emphasis: at,
      tick: (v) => grouped(v),
      integers: true,
    }),
    ...drawn.map((currency) =>
      barPanel({
        title: `Amount invoiced (${currency})`,
        height: AMOUNT_HEIGHT,
        categories,
        values: runs.map((r) => Money.exact(amountOf(r, currency) ?? '0', currency).toDrawingNumber()),
        colors,
        // Only the marked run's exact amount: twelve of them would not fit side by side.
        valueLabels: runs.map((r, i) => (i === at ? money(amountOf(r, currency) ?? '0', currency) : null)),
        emphasis: at,
        tick: (v) => axisAmount(v, currency),
      }),
    ),
  ];
  const which = reported ? 'this run' : 'the latest run';
  const footnotes = [at === null ? 'Each bar is one completed bill run (its number and the start of its period).' : `Dark blue: ${which} (#${runs[at].id}). Grey: the runs before it. Each bar is one completed bill run.`];
  if (currencies.length > drawn.length) {
    footnotes.push(`Not drawn: the amounts in ${currencies.slice(drawn.length).join(', ')} (they are in the image's description).`);
  }
  return {
    title: clip(`Bill runs of ${history.configuration}`, 70),
    subtitle: `The last ${plural(runs.length, 'completed run')}: invoices created and amount invoiced per run${at === null ? '' : ` · ${which}: #${runs[at].id}`}`,
    panels,
    footnotes,
  };
}

function runFigures(run: RunHistoryEntry): string {
  const amounts = run.totals.map((t) => `${money(t.amount, t.currency)} ${t.currency}`);
  return `${plural(run.invoices, 'invoice', 'invoices', grouped)}${amounts.length ? `, ${amounts.join(' and ')}` : ''}`;
}

/** The alt text: every run's figures, in order, within Slack's limit (shortened, then the earliest runs left out, when needed). */
export function runHistoryAltText(history: RunHistory, marked: number | null, reported: boolean): string {
  const runs = history.runs;
  const head = `Bar chart of the bill runs of ${history.configuration}: the last ${plural(runs.length, 'completed run')}, invoices created and amount invoiced per run, oldest first.`;
  const tag = (r: RunHistoryEntry) => (r.id === marked ? (reported ? ', this run' : ', the latest') : '');
  const full = runs.map((r) => `Run #${r.id}${r.account ? ` for ${r.account}` : ''} (${r.periodStart} to ${r.periodEnd}${tag(r)}): ${runFigures(r)}.`);
  const short = runs.map((r) => `#${r.id}${tag(r)}: ${runFigures(r)}.`);
  return fitAltText(head, [full, short], ['earlier run', 'earlier runs']);
}

/** The run history of a configuration as a PNG with its alt text. */
export function runHistoryChart(history: RunHistory, options: RunHistoryChartOptions = {}): ChartImage {
  const reported = options.highlight !== undefined && options.highlight !== null;
  const marked = reported ? (options.highlight as number) : (history.runs.at(-1)?.id ?? null);
  const spec = runHistorySpec(history, marked, reported);
  const image = drawImage(spec);
  const last = history.runs.at(-1);
  return {
    ...image,
    altText: runHistoryAltText(history, marked, reported),
    title: clip(`Bill runs of ${history.configuration}${last ? ` up to #${last.id}` : ''}`, 200),
    filename: `bill-runs-${fileSlug(history.configuration)}${reported ? `-run-${marked}` : ''}.png`,
  };
}
