import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Billing } from '../../billing';
import { billMonth } from '../credits/fixtures';

/** What the document tests share: the text a PDF gives back, and DOMAIN.md's worked example run to invoice 19. */

/**
 * The text of each page, as a reader would copy it: pdf-parse 2 (a PDF text extractor on
 * pdf.js), in a process of its own (pdfText.cjs: pdf.js loads its worker with a dynamic
 * import, which Jest's module sandbox refuses).
 */
export async function pdfText(data: Buffer): Promise<{ text: string; pages: string[] }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'pdfText.cjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.end(data);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`pdf-parse could not read the PDF: ${Buffer.concat(err).toString()}`);
  const { pages } = JSON.parse(Buffer.concat(out).toString()) as { pages: string[] };
  return { text: pages.join('\n'), pages };
}

/** A PDF's text as one line, every run of white space one space (cells that wrap read on). */
export function flat(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * DOMAIN.md's worked example, whole: the $50.00 credit on Parent Co, September billed
 * (INV-000018, $140.00), the credit disbursed to it (balance $90.00) and reversed, October
 * billed (INV-000019: $140.00 of charges and the $50.00 reversed credit, $190.00).
 */
export async function workedExampleThroughOctober(billing: Billing): Promise<void> {
  await billing.loadDemo();
  const credit = await billing.addCredit({ account: 'Parent Co', amount: '$50.00', detail: 'Service outage', createdBy: 'U_FIN' });
  await billMonth(billing, 'Child Co', '2026-09');
  await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50.00', actor: 'U_FIN' });
  await billing.reverseCredit(credit.id, 'U_FIN');
  await billMonth(billing, 'Child Co', '2026-10');
}
