import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { BillingError, type Billing, type InvoiceDocument } from '../../billing';
import type { CompanyHeader } from './company';
import { invoicePdfStream } from './invoicePdf';

/** A bill run with no invoice: there is nothing to put in a zip. */
export class NoInvoicesError extends BillingError {
  readonly code = 'no_invoices';
}

/** Documents read ahead of the one being written, so the database and the writer overlap. */
const READ_AHEAD = 4;

/**
 * A bill run's invoices as one zip of PDFs (INV-000018.pdf, ...), streamed into `out`: the
 * PDFs are made one at a time, as the zip reaches them (yazl asks for each entry's stream
 * only when it is its turn, and its output respects `out`'s backpressure), so memory holds
 * one PDF and a few invoices read ahead, whatever the run's size. PDFs are stored, not
 * deflated again (their contents are compressed already); each entry is dated with its
 * invoice's date, so the same run gives the same zip.
 */
export async function writeRunInvoicesZip(billing: Billing, runId: number, company: CompanyHeader, out: Writable): Promise<{ invoices: number }> {
  const invoices = await billing.runInvoices(runId);
  if (!invoices.length) throw new NoInvoicesError(`Bill run #${runId} created no invoices, so there are no PDFs to send.`);
  const zip = new ZipFile();
  const reads = new Map<number, Promise<InvoiceDocument>>();
  const read = (i: number) => {
    for (let k = i; k < Math.min(i + READ_AHEAD, invoices.length); k++) {
      if (!reads.has(k)) reads.set(k, billing.invoiceDocument(invoices[k].number));
    }
    const doc = reads.get(i)!;
    reads.delete(i);
    return doc;
  };
  let failure: unknown = null;
  invoices.forEach((invoice, i) => {
    zip.addReadStreamLazy(`${invoice.number}.pdf`, { compress: false, mtime: new Date(`${invoice.invoiceDate}T00:00:00Z`) }, (done) => {
      read(i).then(
        (doc) => done(null, invoicePdfStream(doc, company)),
        (error: unknown) => {
          failure ??= error;
          done(error, null as never);
        },
      );
    });
  });
  zip.end();
  zip.outputStream.pipe(out);
  try {
    await Promise.race([
      finished(out),
      new Promise((_, reject) => (zip as unknown as NodeJS.EventEmitter).once('error', reject)),
    ]);
  } catch (error) {
    out.destroy();
    throw failure ?? error;
  }
  // Reads begun ahead of a failure are not left unhandled.
  for (const pending of reads.values()) pending.catch(() => undefined);
  return { invoices: invoices.length };
}
