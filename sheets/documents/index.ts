/**
 * Documents: what customers receive, as files (PDF, through pdfkit with an embedded DejaVu
 * font), made from billing's document views through billing's door. Like the workbooks,
 * they know nothing of Slack or terminals; the faces hand the bytes over or write the file.
 * Loaded only by the commands that make documents (pdfkit takes a while to load).
 */
export { invoicePdf, invoicePdfStream } from './invoicePdf';
export { statementPdf } from './statementPdf';
export { writeRunInvoicesZip, NoInvoicesError } from './zip';
export { DEFAULT_COMPANY, imageKind } from './company';
export type { CompanyHeader } from './company';
export { visible } from './fonts';
