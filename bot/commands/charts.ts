import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BillingError, type Billing } from '../../billing';
import type { ChartImage } from '../render/charts';
import type { CommandOf } from './schema';
import type { Outcome, WorkbookRuntime } from './types';

/**
 * `/billing chart runs [<configuration>]`: the configuration's run history as a PNG. Slack
 * uploads it (bot/slack/chartCommand.ts); the shell and the CLI write it to a file, in the
 * folder where they read and write workbooks. The renderer (chart.js, Skia) loads with the
 * first chart.
 */

export type ChartCommand = CommandOf<'billing.chart'>;

/** Runs a chart shows. */
export const CHART_RUNS = 12;

/** There is nothing to draw (a configuration without a completed run). */
export class NothingToChartError extends BillingError {
  readonly code = 'nothing_to_chart';
}

/** A chart file that cannot be written where it was named. */
export class ChartFileError extends BillingError {
  readonly code = 'chart_file';
}

/** The chart a command asks for, drawn. */
export async function drawChart(billing: Billing, command: ChartCommand): Promise<{ chart: ChartImage; configuration: string; runs: number }> {
  const history = await billing.runHistory(command.configuration, { last: CHART_RUNS });
  if (history.runs.length === 0) {
    throw new NothingToChartError(`${history.configuration} has no completed bill run yet, so there is nothing to draw.`);
  }
  const { runHistoryChart } = await import('../render/charts');
  return { chart: runHistoryChart(history), configuration: history.configuration, runs: history.runs.length };
}

function failure(file: string, e: unknown): never {
  if (e instanceof BillingError) throw e;
  throw new ChartFileError(`${file} cannot be written (${(e as NodeJS.ErrnoException).code ?? 'unknown error'}).`);
}

/** Writes the PNG to the file named (whole, through a temporary file beside it), or under a new name in the folder. */
async function writePng(directory: string, named: string | null, chart: ChartImage): Promise<string> {
  if (named === null) {
    const ext = path.extname(chart.filename);
    const base = path.join(directory, chart.filename.slice(0, -ext.length));
    for (let n = 1; n <= 1000; n++) {
      const file = n === 1 ? `${base}${ext}` : `${base}-${n}${ext}`;
      const written = await fs.writeFile(file, chart.png, { flag: 'wx' }).then(
        () => true,
        (e: NodeJS.ErrnoException) => (e.code === 'EEXIST' ? false : failure(file, e)),
      );
      if (written) return file;
    }
    throw new ChartFileError(`There are too many files named like ${chart.filename} in ${directory}; move some away.`);
  }
  const file = path.resolve(directory, named);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temporary, chart.png, { flag: 'wx' });
    await fs.rename(temporary, file);
    return file;
  } catch (e) {
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    return failure(file, e);
  }
}

/** `/billing chart runs ...` in the shell and the CLI: the PNG written to a file. */
export async function writeChartFile(rt: WorkbookRuntime, command: ChartCommand): Promise<Outcome> {
  const { chart, configuration, runs } = await drawChart(rt.billing, command);
  const file = await writePng(rt.directory ?? process.cwd(), command.file, chart);
  return { kind: 'chart.written', chart: command.what, configuration, runs, file, width: chart.width, height: chart.height, altText: chart.altText };
}
