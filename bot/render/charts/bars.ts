import type { Chart, ChartConfiguration, Plugin, ScriptableScaleContext } from 'chart.js';
import { chartFont, type Panel } from './canvas';
import { COLORS } from './theme';

const Y_AXIS_WIDTH = 64;

/** One bar chart: a bar per category, each with its colour and an optional label drawn above it. */
export interface Bars {
  title: string;
  height: number;
  /** Each category's label under the axis (an array: one line each). */
  categories: (string | string[])[];
  /** Bar heights (drawing numbers; the figures themselves are in the labels and the alt text). */
  values: number[];
  colors: string[];
  /** The text above each bar (null: none). */
  valueLabels: (string | null)[];
  /** The category whose label is bold (the run being reported); null: none. */
  emphasis: number | null;
  /** The y axis's tick labels. */
  tick: (value: number) => string;
  /** Whole numbers only on the y axis (counts). */
  integers?: boolean;
}

/** Draws each bar's label above it, in the bar's colour (chart.js has no labels of its own). */
function valueLabels(labels: (string | null)[], colors: string[], emphasis: number | null): Plugin<'bar'> {
  return {
    id: 'billbotValueLabels',
    afterDatasetsDraw(chart: Chart<'bar'>) {
      const { ctx } = chart;
      const bars = chart.getDatasetMeta(0).data;
      ctx.save();
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      bars.forEach((bar, i) => {
        const label = labels[i];
        if (!label) return;
        const font = chartFont(12, i === emphasis);
        ctx.font = `${font.weight} ${font.size}px "${font.family}"`;
        ctx.fillStyle = i === emphasis ? colors[i] : COLORS.text;
        const { x, y } = bar.getProps(['x', 'y'], true) as { x: number; y: number };
        ctx.fillText(label, x, y - 4);
      });
      ctx.restore();
    },
  };
}

export function barPanel(b: Bars): Panel {
  const max = Math.max(0, ...b.values);
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: b.categories,
      datasets: [{ data: b.values, backgroundColor: b.colors, borderWidth: 0, maxBarThickness: 64 }],
    },
    options: {
      layout: { padding: { top: 20, right: 8 } },
      plugins: { legend: { display: false }, tooltip: { enabled: false } },
      scales: {
        x: {
          grid: { display: false },
          border: { color: COLORS.axis },
          ticks: {
            color: (c: ScriptableScaleContext) => (c.index === b.emphasis ? COLORS.highlight : COLORS.text),
            font: (c: ScriptableScaleContext) => chartFont(11, c.index === b.emphasis),
            maxRotation: 0,
            autoSkip: false,
          },
        },
        y: {
          beginAtZero: true,
          // An empty chart (every value zero) still gets a scale.
          suggestedMax: max > 0 ? undefined : 1,
          grid: { color: COLORS.grid },
          border: { display: false },
          // One width in every panel, so that a run's bars line up from panel to panel.
          afterFit: (scale) => {
            scale.width = Y_AXIS_WIDTH;
          },
          ticks: {
            color: COLORS.secondary,
            font: chartFont(11),
            maxTicksLimit: 6,
            precision: b.integers ? 0 : undefined,
            callback: (value) => b.tick(Number(value)),
          },
        },
      },
    },
    plugins: [valueLabels(b.valueLabels, b.colors, b.emphasis)],
  };
  return { title: b.title, height: b.height, config };
}

/** An axis amount, short: "$1.5M", "¥14K", "€0". Axis positions only: every figure itself is shown exactly. */
export function axisAmount(value: number, currency: string): string {
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    currencyDisplay: 'narrowSymbol',
    notation: 'compact',
    minimumFractionDigits: 0,
    maximumFractionDigits: 1,
  }).format(value);
}
