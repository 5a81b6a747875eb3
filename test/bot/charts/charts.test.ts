import { readFileSync } from 'node:fs';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import type { RunHistory } from '../../../billing';
import { agingChart, MAX_ALT_TEXT, runHistoryChart, type ChartImage } from '../../../bot/render/charts';
import { runHistorySpec } from '../../../bot/render/charts/runHistory';
import { AGING_AS_OF, agingData, GOLDEN, yearOfRuns } from './fixtures';

/** Pixels that may differ from a golden image (anti-aliasing of another Skia build): 0.5 %. */
const TOLERANCE = 0.005;

function decoded(png: Buffer): PNG {
  return PNG.sync.read(png);
}

/** The share of pixels that differ between two images of the same size (pixelmatch, its default colour threshold). */
function difference(a: Buffer, b: Buffer): number {
  const x = decoded(a);
  const y = decoded(b);
  expect([x.width, x.height]).toEqual([y.width, y.height]);
  return pixelmatch(x.data, y.data, null, x.width, x.height, { threshold: 0.1 }) / (x.width * x.height);
}

function expectPng(chart: ChartImage, width: number, height: number): void {
  expect(chart.png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const png = decoded(chart.png);
  expect([png.width, png.height]).toEqual([width, height]);
  expect([chart.width, chart.height]).toEqual([width, height]);
  // An opaque image: Slack's dark theme never shows through.
  for (let i = 3; i < png.data.length; i += 4 * 997) expect(png.data[i]).toBe(255);
}

describe('the run history chart', () => {
  const history = yearOfRuns();
  const chart = runHistoryChart(history, { highlight: 118 });

  it('is a PNG of 960 by 610 pixels: the title, a panel of invoices and one of amounts', () => {
    expectPng(chart, 960, 610);
    expect(chart.filename).toBe('bill-runs-monthly-billing-run-118.png');
    expect(chart.title).toBe('Bill runs of Monthly Billing up to #118');
  });

  it("states every run's figures in its alt text, the reported run marked", () => {
    expect(chart.altText.length).toBeLessThanOrEqual(MAX_ALT_TEXT);
    expect(chart.altText).toMatch(/^Bar chart of the bill runs of Monthly Billing: the last 12 completed runs/);
    expect(chart.altText).toContain('Run #107 (2025-11-01 to 2025-11-30): 212 invoices, $30,744.00 USD.');
    expect(chart.altText).toContain('Run #118 (2026-10-01 to 2026-10-31, this run): 258 invoices, $37,619.80 USD.');
    for (const run of history.runs) expect(chart.altText).toContain(`Run #${run.id} (`);
  });

  it('matches its golden image within the tolerance', () => {
    expect(difference(chart.png, readFileSync(GOLDEN.runHistory))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('differs from the golden image beyond the tolerance when the figures or the marked run differ', () => {
    const other = yearOfRuns();
    other.runs[3] = { ...other.runs[3], invoices: 120, totals: [{ currency: 'USD', amount: '9000.00' }] };
    expect(difference(runHistoryChart(other, { highlight: 118 }).png, readFileSync(GOLDEN.runHistory))).toBeGreaterThan(TOLERANCE);
    expect(difference(runHistoryChart(history, { highlight: 112 }).png, readFileSync(GOLDEN.runHistory))).toBeGreaterThan(TOLERANCE);
  });

  it('gives the same bytes for the same data', () => {
    expect(runHistoryChart(yearOfRuns(), { highlight: 118 }).png.equals(chart.png)).toBe(true);
  });

  it('on demand marks the latest run as such', () => {
    const latest = runHistoryChart(history);
    expect(latest.filename).toBe('bill-runs-monthly-billing.png');
    expect(latest.altText).toContain('Run #118 (2026-10-01 to 2026-10-31, the latest): 258 invoices');
    // Drawn the same as the report of #118, but for its words.
    expect(difference(latest.png, chart.png)).toBeLessThan(0.01);
  });

  it('draws at most three currencies, never adding them up, and names the rest in the image and its alt text', () => {
    const currencies = ['EUR', 'GBP', 'JPY', 'USD'];
    const many: RunHistory = {
      configuration: 'Everywhere',
      runs: [1, 2].map((id) => ({
        id,
        account: null,
        periodStart: '2026-10-01',
        periodEnd: '2026-10-31',
        finishedAt: '2026-11-01T00:00:00.000Z',
        invoices: 4,
        totals: currencies.map((currency) => ({ currency, amount: currency === 'JPY' ? '14000' : '100.00' })),
      })),
    };
    const image = runHistoryChart(many, { highlight: 2 });
    // Title 60 + padding 40, invoices 24 + 190 + 12, three amount panels of 24 + 230 + 12, two footnotes of 18.
    expectPng(image, 960, 100 + 226 + 3 * 266 + 2 * 18);
    expect(image.altText).toContain('#2 (2026-10-01 to 2026-10-31, this run): 4 invoices, €100.00 EUR and £100.00 GBP and ¥14,000 JPY and $100.00 USD.');
  });

  it("draws the reported run's currencies first, then those of the most runs", () => {
    const runs = yearOfRuns().runs.slice(0, 4);
    runs[0] = { ...runs[0], totals: ['EUR', 'GBP', 'JPY'].map((currency) => ({ currency, amount: '10' })) };
    runs[1] = { ...runs[1], totals: [{ currency: 'JPY', amount: '10' }] };
    runs[2] = { ...runs[2], totals: [{ currency: 'EUR', amount: '10.00' }] };
    const titles = runHistorySpec({ configuration: 'Mixed', runs }, runs[3].id, true).panels.map((p) => p.title);
    expect(titles).toEqual(['Invoices created', 'Amount invoiced (USD)', 'Amount invoiced (EUR)', 'Amount invoiced (JPY)']);
  });

  it('keeps its alt text within Slack\'s limit, shortening it and leaving out the earliest runs first', () => {
    const long: RunHistory = {
      configuration: 'Monthly Billing',
      runs: yearOfRuns().runs.map((r) => ({
        ...r,
        account: `A customer with a very long name number ${r.id}`,
        totals: ['EUR', 'GBP', 'USD'].map((currency) => ({ currency, amount: '1234567.89' })),
      })),
    };
    const alt = runHistoryChart(long, { highlight: 118 }).altText;
    expect(alt.length).toBeLessThanOrEqual(MAX_ALT_TEXT);
    expect(alt).toMatch(/\(\d+ earlier runs left out\.\)/);
    expect(alt).toContain('#118, this run: 258 invoices, €1,234,567.89 EUR and £1,234,567.89 GBP and $1,234,567.89 USD.');
    expect(alt).not.toContain('#107');
  });

  it('draws a configuration without completed runs as an empty chart', () => {
    const empty = runHistoryChart({ configuration: 'New', runs: [] });
    expectPng(empty, 960, 100 + 226 + 18);
    expect(empty.altText).toContain('the last 0 completed runs');
  });
});

describe('the aging chart', () => {
  const chart = agingChart(agingData(), { asOf: AGING_AS_OF });

  it('is a PNG of 960 by 394 pixels with every bucket and the total in its alt text', () => {
    expectPng(chart, 960, 394);
    expect(chart.filename).toBe('aging-2026-11-15.png');
    expect(chart.altText).toBe(
      'Bar chart of what is owed on open invoices by age as of 2026-11-15. USD: current $37,619.80, 1–30 days $12,480.25, 31–60 days $4,310.00, 61–90 days $1,275.50, over 90 days $640.00; total $56,325.55.',
    );
  });

  it('matches its golden image within the tolerance, and differs beyond it for other buckets', () => {
    expect(difference(chart.png, readFileSync(GOLDEN.aging))).toBeLessThanOrEqual(TOLERANCE);
    const other = agingData();
    other.buckets[4] = { label: 'over 90 days', amount: '30000.00' };
    expect(difference(agingChart(other, { asOf: AGING_AS_OF }).png, readFileSync(GOLDEN.aging))).toBeGreaterThan(TOLERANCE);
  });

  it('takes one panel per currency', () => {
    const two = agingChart([agingData(), { currency: 'JPY', buckets: [{ label: 'current', amount: '14000' }] }]);
    expectPng(two, 960, 100 + 2 * (24 + 240 + 12) + 18);
    expect(two.altText).toContain('JPY: current ¥14,000; total ¥14,000.');
  });
});
