import { HelpTopic, USAGE } from './schema';

export type { HelpTopic };

/** /billing help: each command's usage and what it does, by topic. */

export interface HelpEntry {
  topic: HelpTopic;
  usage: string;
  description: string;
}

export const HELP: HelpEntry[] = [
  { topic: 'bill', usage: '/bill', description: 'Open the bill form.' },
  {
    topic: 'bill',
    usage: USAGE.bill,
    description:
      'Bill an account now (and the accounts that invoice to it). Without dates the configuration\'s period is used; "preview" shows what would happen and writes nothing. Quote names that contain a keyword: /bill "From Scratch Ltd".',
  },
  { topic: 'bill', usage: USAGE['bill.status'], description: 'Show a bill run\'s report.' },
  {
    topic: 'bill',
    usage: USAGE['bill.resume'],
    description: 'Resume a failed bill run: only what it did not bill yet is billed; nothing done is billed twice.',
  },
  { topic: 'credit', usage: '/credit add', description: 'Open the credit form.' },
  {
    topic: 'credit',
    usage: USAGE['credit.add'],
    description:
      'Add a credit. The amount is the first word that reads as money (quote an account name that contains a number); a final "auto" disburses it automatically when it is issued.',
  },
  {
    topic: 'credit',
    usage: USAGE['credit.disburse'],
    description: 'Disburse an issued credit to an unpaid invoice of the same invoicer; without an amount, the most allowed.',
  },
  { topic: 'credit', usage: USAGE['credit.reverse'], description: 'Reverse an issued credit; what was disbursed goes onto the next invoice.' },
  { topic: 'credit', usage: USAGE['credit.delete'], description: 'Delete a credit that is not issued yet.' },
  { topic: 'credit', usage: USAGE['credit.list'], description: 'List an account\'s credits.' },
  { topic: 'payment', usage: '/payment add [<account>]', description: "Open the payment form, with the account's unpaid invoices to choose from." },
  {
    topic: 'payment',
    usage: USAGE['payment.add'],
    description:
      'Record a payment an invoicer account received (the amount is the first word that reads as money). It pays the invoices named, in order (INV-000018=40 pays 40 of it), or else the unpaid invoices oldest due date first; what is left stays unapplied and pays the next invoices. A reference is recorded once per account.',
  },
  { topic: 'payment', usage: USAGE['payment.list'], description: "List an account's payments and what each paid." },
  {
    topic: 'payment',
    usage: USAGE['payment.reverse'],
    description: 'Reverse a payment (a returned cheque, a charge-back): what it paid goes back onto each invoice; the payment is kept as reversed.',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.run'],
    description:
      "Bill the bill groups of a configuration now; it is reported in the configuration's report channel (or here). \"preview\" shows what it would do and writes nothing.",
  },
  {
    topic: 'billing',
    usage: USAGE['billing.schedules'],
    description: 'List the scheduled configurations: next run time, paused or not, last run and any problem.',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.schedule'],
    description: "Pause a configuration's schedule, or resume it (the runs missed while paused are not caught up).",
  },
  {
    topic: 'billing',
    usage: USAGE['billing.template'],
    description:
      'Get an empty setup workbook (Accounts, Packages, Account Packages, Bill Runs) with a sheet that explains each column. In Slack it comes in a direct message, or in the channel you name (billbot must be in it).',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.export'],
    description:
      'Get a workbook: accounts is the whole setup (fill it in and import it back); invoices, credits and payments can be limited to an account (with the accounts that invoice to it), dates and, for invoices, a bill run. In Slack it comes in a direct message, or in the channel you name (billbot must be in it).',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.import'],
    description:
      'Import a setup workbook (admins): it is checked first and nothing changes until you confirm; any problem means nothing is applied. In Slack, upload the .xlsx to billbot in a direct message (or in a channel, mentioning @billbot).',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.chart'],
    description:
      "Draw a configuration's last 12 completed bill runs as a chart: invoices and amount invoiced per run (in Slack, sent to you in a direct message; the shell writes a PNG file).",
  },
  {
    topic: 'billing',
    usage: USAGE['billing.aging'],
    description:
      'Receivables by account in the buckets current, 1-30, 31-60, 61-90 and over 90 days past due, with totals per currency and the accounts that owe the most. As of a past day: the balances of that day.',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.statement'],
    description: "An account's statement: opening balance, each invoice, credit disbursement, payment and reversal with a running balance, closing balance.",
  },
  { topic: 'billing', usage: USAGE['statement.pdf'], description: 'Get the statement as a PDF (in Slack, sent to you in a direct message).' },
  {
    topic: 'billing',
    usage: USAGE['billing.digest'],
    description:
      'Post the overdue digest (the aging summary and the invoices that became overdue since the last digest) to a channel on a cron schedule, in a time zone (default UTC); pause or resume it.',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.export.receivables'],
    description: 'The aging report (every account that owes something) or a statement (every line) as a workbook.',
  },
  { topic: 'billing', usage: USAGE['invoice.list'], description: 'List the invoices an account has received.' },
  { topic: 'billing', usage: USAGE['invoice.show'], description: 'Show an invoice with its transactions and disbursements.' },
  { topic: 'billing', usage: USAGE['invoice.pdf'], description: 'Get the invoice as a PDF (in Slack, sent to you in a direct message).' },
  { topic: 'billing', usage: USAGE['billing.export.pdfs'], description: "Get a bill run's invoices as one zip of PDFs (in Slack, sent to you in a direct message)." },
  { topic: 'billing', usage: USAGE['billing.access'], description: 'Grant or revoke a role (Slack only).' },
  { topic: 'billing', usage: USAGE['billing.help'], description: 'Show this help.' },
];
