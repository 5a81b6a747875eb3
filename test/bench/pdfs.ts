/**
 * The benchmark's step for invoice documents (`BENCH_STEPS=pdfs npm run bench`, and part of a
 * full run): a bill run of a bench data set that makes at least 1,000 invoices, then the zip
 * of that run's invoice PDFs (sheets/documents' writeRunInvoicesZip, as `billbot export pdfs`
 * and Slack's `/billing export pdfs run N` make it), written to a file in a child process that
 * reports its time and peak memory. Targets: 1,000 invoices in at most 15 s and 300 MB.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { seedBillingData } from './data';
import { runChild, type BillResult } from './fork';

/** Accounts seeded: two in three are invoicers (a third are children), less a few inactive: about 1,005 invoices. */
const ACCOUNTS = Number(process.env.BENCH_PDF_ACCOUNTS ?? 1545);

export interface PdfZipFigures {
  invoices: number;
  seconds: number;
  peakMb: number;
  zipMb: number;
  entries: number;
  /** CPU time of the writing process (user + system): what the zip costs on a machine of its own, the database aside. */
  cpuSeconds: number;
  /** The machine's load average (1 minute) when the zip started: two cores shared with more than that many runnable processes stretch the time. */
  load: number;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

class PdfZipStep {
  figures: PdfZipFigures | undefined;

  async run(createDatabase: (label: string) => Promise<{ url: string; db: Knex }>, log: (m: string) => void, accounts = ACCOUNTS): Promise<void> {
    const { url, db } = await createDatabase('pdfs');
    const file = path.join(os.tmpdir(), `billbot-bench-pdfs-${process.pid}.zip`);
    try {
      const data = await seedBillingData(db, { accounts, tag: 'P' });
      const bill = await runChild<BillResult>({ kind: 'bill', configuration: data.configuration, from: data.period.start, to: data.period.end, preview: false }, url);
      const load = os.loadavg()[0];
      const z = await runChild<{ invoices: number; bytes: number; entries: number; cpuSeconds: number }>({ kind: 'pdfs', run: bill.result.runId, file }, url);
      const { invoices, entries, cpuSeconds } = z.result;
      this.figures = { invoices, seconds: z.seconds, peakMb: z.peakMb, zipMb: z.result.bytes / 2 ** 20, entries, cpuSeconds, load };
      log(`zip of ${invoices} invoice PDFs: ${fmt(z.seconds)} s (${fmt(cpuSeconds)} s CPU, load ${fmt(load)}), ${z.peakMb} MB peak, ${fmt(this.figures.zipMb, 1)} MB zip`);
    } finally {
      await db.destroy();
      await fs.rm(file, { force: true });
    }
  }

  targets(): { figure: string; value: string; target: string; met: boolean }[] {
    const f = this.figures;
    if (!f) return [];
    return [
      { figure: `zip of ${f.invoices} invoice PDFs, time`, value: `${fmt(f.seconds)} s`, target: '<= 15 s', met: f.invoices >= 1000 && f.seconds <= 15 },
      { figure: `zip of ${f.invoices} invoice PDFs, peak memory`, value: `${f.peakMb} MB`, target: '<= 300 MB', met: f.peakMb <= 300 },
      { figure: 'zip holds one PDF per invoice', value: `${f.entries} of ${f.invoices}`, target: 'all', met: f.entries === f.invoices },
    ];
  }

  rows(): string[][] {
    const f = this.figures;
    return f ? [[`zip of ${f.invoices} invoice PDFs`, fmt(f.seconds), String(f.peakMb), `${fmt(f.zipMb, 1)} MB, ${f.entries} PDFs, ${fmt(f.cpuSeconds)} s CPU, load ${fmt(f.load)}`]] : [];
  }
}

export const pdfZip = new PdfZipStep();
