/** Payments and receivables: the rules (rules.ts), the ledger's writes (ledger.ts), the services and the views. */
export { recordPaymentOnce, reversePayment, recordPaymentSchema, reversalReasonSchema } from './record';
export type { RecordPaymentInput } from './record';
export { getPayment, listPayments, unpaidInvoices, paymentId } from './views';
export type { PaymentView, PaymentApplicationView, PaymentStatus, UnpaidInvoice } from './views';
export { applyUnappliedPayments } from './ledger';
export * as rules from './rules';
