import type { SKRSContext2D } from '@napi-rs/canvas';
import type { ChartConfiguration, ChartItem } from 'chart.js';
import { COLORS, FONT_FAMILY, LAYOUT } from './theme';

/**
 * The drawing engine of every chart: chart.js 4 on @napi-rs/canvas (Skia), no browser. Both
 * load on the first chart only (the CLI and the shell start without them). The fonts are
 * DejaVu Sans from the dejavu-fonts-ttf package, registered under a family name of billbot's
 * own, so an image never depends on the fonts a machine has; chart.js draws with no
 * animation, no responsiveness and a fixed pixel ratio, so the same data gives the same image
 * on every machine.
 *
 * An image is a title and subtitle, one or more panels (one chart.js chart each, drawn on its
 * own canvas and copied in), and a footnote, on an opaque white background with a grey border
 * and dark text: Slack shows an image as it is in its light and dark themes, and white with
 * dark text reads the same in both (a transparent image would put dark text on a dark theme).
 */

interface Engine {
  createCanvas: typeof import('@napi-rs/canvas').createCanvas;
  Chart: typeof import('chart.js').Chart;
}

let engine: Engine | null = null;

function load(): Engine {
  if (engine) return engine;
  const canvas = require('@napi-rs/canvas') as typeof import('@napi-rs/canvas');
  const chartjs = require('chart.js') as typeof import('chart.js');
  for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']) {
    canvas.GlobalFonts.registerFromPath(require.resolve(`dejavu-fonts-ttf/ttf/${file}`), FONT_FAMILY);
  }
  const { Chart, BarController, BarElement, CategoryScale, LinearScale } = chartjs;
  Chart.register(BarController, BarElement, CategoryScale, LinearScale);
  engine = { createCanvas: canvas.createCanvas, Chart };
  return engine;
}

/** One chart of an image, with its title above it. */
export interface Panel {
  title: string;
  /** The chart's own height in pixels (its title comes on top). */
  height: number;
  config: ChartConfiguration<'bar'>;
}

export interface ImageSpec {
  title: string;
  subtitle: string;
  panels: Panel[];
  /** Small lines under the panels (a legend, what was left out). */
  footnotes: string[];
}

export interface DrawnImage {
  png: Buffer;
  width: number;
  height: number;
}

const font = (size: number, bold = false) => `${bold ? 'bold ' : ''}${size}px "${FONT_FAMILY}"`;

/** The height of an image of these panels and footnotes (the tests check the PNG against it). */
export function imageHeight(spec: Pick<ImageSpec, 'panels' | 'footnotes'>): number {
  const panels = spec.panels.reduce((sum, p) => sum + LAYOUT.panelTitle + p.height + LAYOUT.panelGap, 0);
  return LAYOUT.padding * 2 + LAYOUT.header + panels + spec.footnotes.length * LAYOUT.footnoteLine;
}

/** Draws one panel's chart on its own canvas (chart.js takes a whole canvas) and copies it in at (x, y). */
function drawPanel(e: Engine, panel: Panel, into: SKRSContext2D, x: number, y: number, width: number): void {
  const canvas = e.createCanvas(width, panel.height);
  const config: ChartConfiguration<'bar'> = {
    ...panel.config,
    options: {
      ...panel.config.options,
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      events: [],
    },
  };
  // chart.js takes any object with a canvas's 2D context methods; Skia's is one.
  const chart = new e.Chart(canvas.getContext('2d') as unknown as ChartItem, config);
  into.drawImage(canvas, x, y);
  // Only after the copy: destroying a chart clears its canvas.
  chart.destroy();
}

function text(ctx: SKRSContext2D, value: string, x: number, y: number, size: number, options: { bold?: boolean; color?: string } = {}): void {
  ctx.font = font(size, options.bold);
  ctx.fillStyle = options.color ?? COLORS.text;
  ctx.textBaseline = 'top';
  ctx.fillText(value, x, y);
}

/** Draws the image: background, border, title, panels and footnotes; a PNG. */
export function drawImage(spec: ImageSpec): DrawnImage {
  const e = load();
  const { width, padding } = LAYOUT;
  const height = imageHeight(spec);
  const canvas = e.createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = COLORS.background;
  ctx.fillRect(0, 0, width, height);
  ctx.strokeStyle = COLORS.border;
  ctx.lineWidth = 1;
  ctx.strokeRect(0.5, 0.5, width - 1, height - 1);

  text(ctx, spec.title, padding, padding, 20, { bold: true });
  text(ctx, spec.subtitle, padding, padding + 28, 13, { color: COLORS.secondary });
  let y = padding + LAYOUT.header;
  for (const panel of spec.panels) {
    text(ctx, panel.title, padding, y, 14, { bold: true });
    y += LAYOUT.panelTitle;
    drawPanel(e, panel, ctx, padding, y, width - padding * 2);
    y += panel.height + LAYOUT.panelGap;
  }
  for (const line of spec.footnotes) {
    text(ctx, line, padding, y, 12, { color: COLORS.secondary });
    y += LAYOUT.footnoteLine;
  }
  return { png: canvas.toBuffer('image/png'), width, height };
}

/** The chart.js font of the charts' ticks and labels. */
export function chartFont(size: number, bold = false): { family: string; size: number; weight: 'bold' | 'normal' } {
  return { family: FONT_FAMILY, size, weight: bold ? 'bold' : 'normal' };
}
