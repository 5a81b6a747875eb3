import { Money, sum } from '../../../billing';
import { clip, money } from '../kit';
import { axisAmount, barPanel } from './bars';
import { drawImage, type ImageSpec } from './canvas';
import { fitAltText, type ChartImage } from './image';
import { COLORS } from './theme';

/**
 * The aging chart: what is owed per age bucket (current, 1–30 days, ...), one panel per
 * currency (amounts of different currencies are never added up), each bar labelled with its
 * exact amount. It takes plain bucket data, so the aging report can hand over what it shows.
 */

export interface AgingChartData {
  currency: string;
  /** From the youngest bucket to the oldest; amounts as exact decimal text ("140.00"). */
  buckets: { label: string; amount: string }[];
}

export interface AgingChartOptions {
  /** The date the ages are counted at (YYYY-MM-DD), shown in the subtitle and the alt text. */
  asOf?: string | null;
}

/** Currency panels drawn at most (the alt text names every currency). */
export const MAX_AGING_PANELS = 3;
const PANEL_HEIGHT = 240;

function total(data: AgingChartData): Money {
  return sum(
    data.buckets.map((b) => Money.exact(b.amount, data.currency)),
    data.currency,
  );
}

export function agingSpec(data: AgingChartData[], options: AgingChartOptions = {}): ImageSpec {
  const drawn = data.slice(0, MAX_AGING_PANELS);
  const panels = drawn.map((d) =>
    barPanel({
      title: `${d.currency}: ${total(d).format()} owed`,
      height: PANEL_HEIGHT,
      categories: d.buckets.map((b) => b.label),
      values: d.buckets.map((b) => Money.exact(b.amount, d.currency).toDrawingNumber()),
      colors: d.buckets.map((_, i) => COLORS.buckets[Math.min(i, COLORS.buckets.length - 1)]),
      valueLabels: d.buckets.map((b) => money(b.amount, d.currency)),
      emphasis: null,
      tick: (v) => axisAmount(v, d.currency),
    }),
  );
  const footnotes = ['Each bar is what is owed on open invoices of that age; from green (current) to dark red (the oldest).'];
  if (data.length > drawn.length) {
    footnotes.push(`Not drawn: ${data.slice(drawn.length).map((d) => d.currency).join(', ')} (in the image's description).`);
  }
  return {
    title: 'Aging of open invoices',
    subtitle: `Amount owed by age${options.asOf ? ` as of ${options.asOf}` : ''}, per currency`,
    panels,
    footnotes,
  };
}

export function agingAltText(data: AgingChartData[], options: AgingChartOptions = {}): string {
  const head = `Bar chart of what is owed on open invoices by age${options.asOf ? ` as of ${options.asOf}` : ''}.`;
  const full = data.map((d) => `${d.currency}: ${d.buckets.map((b) => `${b.label} ${money(b.amount, d.currency)}`).join(', ')}; total ${total(d).format()}.`);
  const short = data.map((d) => `${d.currency} total ${total(d).format()}.`);
  return fitAltText(head, [full, short], ['currency', 'currencies']);
}

/** The aging buckets as a PNG with its alt text (one currency's data, or several). */
export function agingChart(input: AgingChartData | AgingChartData[], options: AgingChartOptions = {}): ChartImage {
  const data = Array.isArray(input) ? input : [input];
  const image = drawImage(agingSpec(data, options));
  return {
    ...image,
    altText: agingAltText(data, options),
    title: clip(`Aging of open invoices${options.asOf ? ` as of ${options.asOf}` : ''}`, 200),
    filename: `aging${options.asOf ? `-${options.asOf}` : ''}.png`,
  };
}
