import { once } from 'node:events';
import { Writable } from 'node:stream';
import { exportInvoices } from '../../sheets';
import type { InvoicesWorkbookSource } from './runReports';

/** A run's invoices workbook (sheets' invoice export filtered to the run), or null when the run created no invoice. */
export const invoicesWorkbook: InvoicesWorkbookSource = async (billing, runId) => {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  const finished = sink.writableFinished ? Promise.resolve() : once(sink, 'finish');
  const counts = await exportInvoices(billing, sink, { billRunId: runId });
  await finished;
  if (counts.invoices === 0) return null;
  return { data: Buffer.concat(chunks), filename: `bill-run-${runId}-invoices.xlsx` };
};
