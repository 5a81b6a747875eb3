import type { Knex } from 'knex';

// The credits ledger, enforced by the database as well as by billing/ledger.ts:
// - at every commit, an invoice's balance is its total less what was disbursed to it, and a
//   credit's amount left is its disbursable amount less what was disbursed from it
//   (disbursable: the amount while unissued or issued; once reversed, only what had been
//   disbursed, which is also the reversed amount; nothing once deleted). Deferred constraint
//   triggers check the rows a transaction touched, so a half-done change can never commit.
// - a disbursement, once recorded, is never changed or removed (a reversal undoes a credit).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION billbot_check_invoice_balance(invoice bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      i record;
      disbursed numeric;
    BEGIN
      SELECT number, total, balance INTO i FROM invoices WHERE id = invoice;
      IF NOT FOUND THEN RETURN; END IF;
      SELECT COALESCE(sum(amount), 0) INTO disbursed FROM disbursements WHERE invoice_id = invoice;
      IF i.balance <> i.total - disbursed THEN
        RAISE EXCEPTION 'invoice % has balance % but total % less disbursements % is %',
          i.number, i.balance, i.total, disbursed, i.total - disbursed
          USING ERRCODE = 'check_violation';
      END IF;
    END $$;

    CREATE FUNCTION billbot_check_credit_left(credit bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      c record;
      disbursed numeric;
      expected numeric;
    BEGIN
      SELECT status, amount, amount_left, reversed_amount INTO c FROM credits WHERE id = credit;
      IF NOT FOUND THEN RETURN; END IF;
      SELECT COALESCE(sum(amount), 0) INTO disbursed FROM disbursements WHERE credit_id = credit;
      expected := CASE WHEN c.status IN ('unissued', 'issued') THEN c.amount - disbursed ELSE 0 END;
      IF c.amount_left <> expected
         OR (c.status IN ('reversal pending', 'reversed') AND c.reversed_amount <> disbursed)
         OR (c.status IN ('unissued', 'deleted') AND disbursed <> 0) THEN
        RAISE EXCEPTION 'credit CR-% (%) has amount left % and reversed amount % but % was disbursed from its amount %',
          credit, c.status, c.amount_left, c.reversed_amount, disbursed, c.amount
          USING ERRCODE = 'check_violation';
      END IF;
    END $$;

    CREATE FUNCTION billbot_check_ledger_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'disbursements' THEN
        PERFORM billbot_check_invoice_balance(NEW.invoice_id);
        PERFORM billbot_check_credit_left(NEW.credit_id);
      ELSIF TG_TABLE_NAME = 'invoices' THEN
        PERFORM billbot_check_invoice_balance(NEW.id);
      ELSE
        PERFORM billbot_check_credit_left(NEW.id);
      END IF;
      RETURN NULL;
    END $$;

    CREATE CONSTRAINT TRIGGER disbursements_keep_ledger
      AFTER INSERT ON disbursements DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION billbot_check_ledger_row();
    CREATE CONSTRAINT TRIGGER invoices_keep_ledger
      AFTER UPDATE OF total, balance ON invoices DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION billbot_check_ledger_row();
    CREATE CONSTRAINT TRIGGER credits_keep_ledger
      AFTER UPDATE OF status, amount, amount_left, reversed_amount ON credits DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION billbot_check_ledger_row();

    CREATE FUNCTION refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'a disbursement is never changed or removed (reverse the credit instead): % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER disbursements_append_only
      BEFORE UPDATE OR DELETE ON disbursements
      FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change();
    CREATE TRIGGER disbursements_no_truncate
      BEFORE TRUNCATE ON disbursements
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change();
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
