import type { Knex } from 'knex';

// The payments ledger, enforced by the database as well as by billing/payments/ (as migration
// 030 does for credits):
// - at every commit, an invoice's balance is its total less the credits disbursed to it, less
//   the payments applied to it, plus the applications given back by reversals (0 <= balance <=
//   total are the invoice's own checks); a recorded payment's applications (net of none
//   reversed) plus its unapplied amount are its amount; a reversed payment has every
//   application given back and nothing unapplied; a payment pays only invoices of its own
//   account in its currency; a reversal row gives back exactly the application it names.
//   Deferred constraint triggers check the rows a transaction touched.
// - an application, once recorded, is never changed or removed (a reversal adds rows); a
//   payment is never removed, and its only changes are its unapplied amount going down while
//   it is recorded and, once, the change to reversed (with a reason, who and when, and nothing
//   left unapplied).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION billbot_check_invoice_balance(invoice bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      i record;
      disbursed numeric;
      applied numeric;
      given_back numeric;
    BEGIN
      SELECT number, total, balance INTO i FROM invoices WHERE id = invoice;
      IF NOT FOUND THEN RETURN; END IF;
      SELECT COALESCE(sum(amount), 0) INTO disbursed FROM disbursements WHERE invoice_id = invoice;
      SELECT COALESCE(sum(amount) FILTER (WHERE kind = 'applied'), 0), COALESCE(sum(amount) FILTER (WHERE kind = 'reversed'), 0)
        INTO applied, given_back FROM payment_applications WHERE invoice_id = invoice;
      IF i.balance <> i.total - disbursed - applied + given_back THEN
        RAISE EXCEPTION 'invoice % has balance % but total % less disbursements % less payments applied % plus payments reversed % is %',
          i.number, i.balance, i.total, disbursed, applied, given_back, i.total - disbursed - applied + given_back
          USING ERRCODE = 'check_violation';
      END IF;
    END $$;

    CREATE FUNCTION billbot_check_payment(payment bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      p record;
      applied numeric;
      given_back numeric;
    BEGIN
      SELECT id, account_id, currency, amount, unapplied, status INTO p FROM payments WHERE id = payment;
      IF NOT FOUND THEN RETURN; END IF;
      SELECT COALESCE(sum(amount) FILTER (WHERE kind = 'applied'), 0), COALESCE(sum(amount) FILTER (WHERE kind = 'reversed'), 0)
        INTO applied, given_back FROM payment_applications WHERE payment_id = payment;
      IF (p.status = 'recorded' AND (applied + p.unapplied <> p.amount OR given_back <> 0))
         OR (p.status = 'reversed' AND (applied <> given_back OR p.unapplied <> 0)) THEN
        RAISE EXCEPTION 'payment PM-% (%) of % has % applied, % reversed and % unapplied',
          lpad(payment::text, 6, '0'), p.status, p.amount, applied, given_back, p.unapplied
          USING ERRCODE = 'check_violation';
      END IF;
      IF EXISTS (SELECT 1 FROM payment_applications pa JOIN invoices i ON i.id = pa.invoice_id
                 WHERE pa.payment_id = payment AND (i.account_id <> p.account_id OR i.currency <> p.currency)) THEN
        RAISE EXCEPTION 'payment PM-% is applied to an invoice of another account or currency', lpad(payment::text, 6, '0')
          USING ERRCODE = 'check_violation';
      END IF;
      IF EXISTS (SELECT 1 FROM payment_applications r JOIN payment_applications a ON a.id = r.reverses_id
                 WHERE r.payment_id = payment
                   AND (a.kind <> 'applied' OR a.payment_id <> r.payment_id OR a.invoice_id <> r.invoice_id OR a.amount <> r.amount)) THEN
        RAISE EXCEPTION 'payment PM-% has a reversal that does not give back its own application', lpad(payment::text, 6, '0')
          USING ERRCODE = 'check_violation';
      END IF;
    END $$;

    CREATE FUNCTION billbot_check_payment_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'payment_applications' THEN
        PERFORM billbot_check_invoice_balance(NEW.invoice_id);
        PERFORM billbot_check_payment(NEW.payment_id);
      ELSE
        PERFORM billbot_check_payment(NEW.id);
      END IF;
      RETURN NULL;
    END $$;

    CREATE CONSTRAINT TRIGGER payment_applications_keep_ledger
      AFTER INSERT ON payment_applications DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION billbot_check_payment_row();
    CREATE CONSTRAINT TRIGGER payments_keep_ledger
      AFTER INSERT OR UPDATE OF amount, unapplied, status ON payments DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION billbot_check_payment_row();

    CREATE FUNCTION billbot_refuse_payment_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the payment ledger only grows (reverse the payment instead): % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER payment_applications_append_only
      BEFORE UPDATE OR DELETE ON payment_applications
      FOR EACH ROW EXECUTE FUNCTION billbot_refuse_payment_ledger_change();
    CREATE TRIGGER payment_applications_no_truncate
      BEFORE TRUNCATE ON payment_applications
      FOR EACH STATEMENT EXECUTE FUNCTION billbot_refuse_payment_ledger_change();
    CREATE TRIGGER payments_never_removed
      BEFORE DELETE ON payments
      FOR EACH ROW EXECUTE FUNCTION billbot_refuse_payment_ledger_change();
    CREATE TRIGGER payments_no_truncate
      BEFORE TRUNCATE ON payments
      FOR EACH STATEMENT EXECUTE FUNCTION billbot_refuse_payment_ledger_change();

    CREATE FUNCTION billbot_guard_payment_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (NEW.id, NEW.account_id, NEW.currency, NEW.amount, NEW.received_on, NEW.method, NEW.reference,
          NEW.request_key, NEW.created_at, NEW.created_by)
         IS DISTINCT FROM
         (OLD.id, OLD.account_id, OLD.currency, OLD.amount, OLD.received_on, OLD.method, OLD.reference,
          OLD.request_key, OLD.created_at, OLD.created_by)
         OR OLD.status = 'reversed'
         OR (NEW.status = 'recorded' AND NEW.unapplied > OLD.unapplied)
         OR (NEW.status = 'reversed' AND NEW.unapplied <> 0) THEN
        RAISE EXCEPTION 'a payment is changed only by applying what it has unapplied or by reversing it once: this UPDATE on payments PM-% is refused',
          lpad(OLD.id::text, 6, '0') USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER payments_narrow_update
      BEFORE UPDATE ON payments
      FOR EACH ROW EXECUTE FUNCTION billbot_guard_payment_update();
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
