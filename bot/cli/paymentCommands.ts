import type { Command as Program } from 'commander';
import type { Builder } from './io';

/** payment add, list, reverse (the same commands as /payment). */
export function addPaymentCommands({ program, run }: Builder): void {
  const payment = program.command('payment').description('record, list or reverse a payment an invoicer account received');
  const addUsage = 'billbot payment add <account> <amount> [--ref REFERENCE] [--on YYYY-MM-DD] [--method METHOD] [--to INVOICE[=AMOUNT]...]';
  payment
    .command('add')
    .description('record a payment: it pays the invoices named (in order), or else the unpaid ones oldest due date first; the rest stays unapplied')
    .argument('<account>', 'the invoicer account that paid (quote a name with spaces)')
    .argument('<amount>', 'e.g. 60, 60.00, $60 or 1,234.56')
    .option('--ref <reference>', 'the cheque or transfer reference (recorded once per account)')
    .option('--on <date>', 'the date it was received, YYYY-MM-DD (default: today)')
    .option('--method <method>', 'e.g. "bank transfer", cheque, card')
    .option('--to <invoice...>', 'the invoices to pay, in order, e.g. 18 INV-000019=40.00')
    .action((account: string, amount: string, opts, cmd: Program) => {
      const to = ((opts.to ?? []) as string[]).map((word) => {
        const [invoice, part] = word.split('=', 2);
        return { invoice, amount: part ?? null };
      });
      run(cmd, { kind: 'payment.add', account, amount, reference: opts.ref ?? null, receivedOn: opts.on ?? null, method: opts.method ?? null, to }, addUsage);
    });
  payment
    .command('list')
    .description("list an account's payments and what each paid")
    .argument('<account...>')
    .action((words: string[], _opts, cmd: Program) => run(cmd, { kind: 'payment.list', account: words.join(' ') }, 'billbot payment list <account>'));
  payment
    .command('reverse')
    .description('reverse a payment (a returned cheque, a charge-back): what it paid goes back onto each invoice')
    .argument('<payment>', 'e.g. PM-000001')
    .argument('<reason...>', 'why it is reversed')
    .action((number: string, words: string[], _opts, cmd: Program) =>
      run(cmd, { kind: 'payment.reverse', payment: number, reason: words.join(' ') }, 'billbot payment reverse <payment> <reason>'),
    );
}
