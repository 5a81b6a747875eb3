import type { Knex } from 'knex';

// Payment terms (days after the invoice date) on the invoicer account and on the bill run
// configuration, and each invoice's due date, fixed when the invoice is made: the invoicer's
// terms, else the configuration's, else 30 days (billing/payments/rules.ts). Invoices made
// before terms existed were made under none, so they are due 30 days after their invoice date.
// The bill run writes each due date itself (billRun/numbering.ts); an invoice inserted without
// one (by hand, by a test's or a benchmark's SQL) gets it by the same rule from a trigger that
// runs only for such rows.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts ADD COLUMN payment_terms_days integer
      CHECK (payment_terms_days BETWEEN 0 AND 3650);
    ALTER TABLE bill_run_configurations ADD COLUMN payment_terms_days integer
      CHECK (payment_terms_days BETWEEN 0 AND 3650);
    ALTER TABLE invoices ADD COLUMN due_date date;
    UPDATE invoices SET due_date = invoice_date + 30;
    ALTER TABLE invoices ALTER COLUMN due_date SET NOT NULL,
      ADD CONSTRAINT invoices_due_after_invoice_date CHECK (due_date >= invoice_date);
    CREATE FUNCTION billbot_fill_due_date() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.due_date := NEW.invoice_date + COALESCE(
        (SELECT payment_terms_days FROM accounts WHERE id = NEW.account_id),
        (SELECT c.payment_terms_days FROM bill_runs r JOIN bill_run_configurations c ON c.id = r.configuration_id
         WHERE r.id = NEW.bill_run_id),
        30);
      RETURN NEW;
    END $$;
    CREATE TRIGGER invoices_due_date_filled BEFORE INSERT ON invoices
      FOR EACH ROW WHEN (NEW.due_date IS NULL) EXECUTE FUNCTION billbot_fill_due_date();
    CREATE INDEX invoices_unpaid_due_idx ON invoices (account_id, due_date, number) WHERE balance > 0;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
