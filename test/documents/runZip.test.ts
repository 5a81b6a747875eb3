import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createBilling, MANAGED_NETWORK, UnknownBillRunError, type Billing } from '../../billing';
import { DEFAULT_COMPANY, NoInvoicesError, writeRunInvoicesZip } from '../../sheets/documents';
import { clock } from '../credits/fixtures';
import { useTestDatabase } from '../helpers/db';
import { flat, pdfText } from './helpers';
import { zipEntries } from './zip';

// Each PDF is read back by pdf-parse in a process of its own: on a busy machine that takes seconds.
jest.setTimeout(120_000);

/** A bill run's invoices as one zip of PDFs: one valid PDF per invoice, the same zip every time. */
describe("a bill run's zip of invoice PDFs", () => {
  const t = useTestDatabase();
  let billing: Billing;
  let dir: string;
  let runId: number;
  let numbers: string[];

  async function zipOf(run: number): Promise<Buffer> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeRunInvoicesZip(billing, run, DEFAULT_COMPANY, out);
    return Buffer.concat(chunks);
  }

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-zip-'));
    billing = createBilling(t.db, clock);
    await billing.createPackage(MANAGED_NETWORK);
    await billing.createConfiguration({ name: 'Monthly Billing', billPackages: true, generateInvoice: true, billGroups: ['Default'] });
    for (const name of ['Alpha Ltd', 'Beta GmbH', 'Gamma SA', 'Delta Oy']) {
      await billing.createAccount({ name, currency: 'USD' });
      await billing.addAccountPackage({ account: name, package: MANAGED_NETWORK.name, effectiveDate: '2026-09-01', nextBillDate: '2026-09-01' });
    }
    await billing.createAccount({ name: 'Delta Child', currency: 'USD', parent: 'Delta Oy', invoiceTo: 'Delta Oy' });
    await billing.addAccountPackage({ account: 'Delta Child', package: MANAGED_NETWORK.name, effectiveDate: '2026-09-01', nextBillDate: '2026-09-01' });
    const report = await billing.bill({ account: null, configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    runId = report.run.id;
    numbers = report.invoices.map((i) => i.number).sort();
    expect(numbers).toHaveLength(4);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('holds one valid PDF per invoice of the run, named and dated after it', async () => {
    const entries = await zipEntries(await zipOf(runId));
    expect(entries.map((e) => e.name)).toEqual(numbers.map((n) => `${n}.pdf`));
    // Each read back by pdf-parse in a process of its own, one at a time.
    const texts: string[] = [];
    for (const entry of entries) texts.push(flat((await pdfText(entry.data)).text));
    for (const [i, entry] of entries.entries()) {
      expect(entry.data.subarray(0, 5).toString()).toBe('%PDF-');
      expect(entry.data.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
      expect(entry.mtime.getFullYear()).toBe(2026);
      expect(texts[i]).toContain(`Invoice ${numbers[i]}`);
      expect(texts[i]).toMatch(/Balance due \$(140|280)\.00/);
    }
    // The parent's invoice says which account (the child, or the parent itself) each line belongs to.
    const parent = texts.find((x) => x.includes('Bill to Delta Oy'))!;
    expect(parent).toContain('Delta Child Managed Network: Support');
    expect(parent).toContain('Delta Oy Managed Network: Support');
    expect(parent).toContain('Total $280.00');
  });

  it('gives the same zip for the same run', async () => {
    expect((await zipOf(runId)).equals(await zipOf(runId))).toBe(true);
  });

  it('refuses an unknown run and a run without invoices with one sentence', async () => {
    await expect(zipOf(9999)).rejects.toThrow(UnknownBillRunError);
    await expect(zipOf(9999)).rejects.toThrow('There is no bill run #9999.');
    const empty = await billing.bill({ account: 'Alpha Ltd', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    expect(empty.invoices).toEqual([]);
    await expect(zipOf(empty.run.id)).rejects.toThrow(NoInvoicesError);
    await expect(zipOf(empty.run.id)).rejects.toThrow(`Bill run #${empty.run.id} created no invoices, so there are no PDFs to send.`);
  });
});
