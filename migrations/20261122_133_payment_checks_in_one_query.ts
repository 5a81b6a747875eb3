import type { Knex } from 'knex';

// The deferred checks of migration 132, each in one query instead of two or three: a bill run
// that applies unapplied payments to 20,000 new invoices runs them about 80,000 times at its
// commit (each application checks its invoice and its payment, and each updated invoice and
// payment checks itself again). Same rules, same messages.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION billbot_check_invoice_balance(invoice bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      i record;
    BEGIN
      SELECT v.number, v.total, v.balance,
             (SELECT COALESCE(sum(d.amount), 0) FROM disbursements d WHERE d.invoice_id = v.id) AS disbursed,
             COALESCE(p.applied, 0) AS applied, COALESCE(p.given_back, 0) AS given_back
        INTO i
        FROM invoices v
        LEFT JOIN LATERAL (
          SELECT sum(amount) FILTER (WHERE kind = 'applied') AS applied, sum(amount) FILTER (WHERE kind = 'reversed') AS given_back
          FROM payment_applications WHERE invoice_id = v.id
        ) p ON true
       WHERE v.id = invoice;
      IF NOT FOUND THEN RETURN; END IF;
      IF i.balance <> i.total - i.disbursed - i.applied + i.given_back THEN
        RAISE EXCEPTION 'invoice % has balance % but total % less disbursements % less payments applied % plus payments reversed % is %',
          i.number, i.balance, i.total, i.disbursed, i.applied, i.given_back, i.total - i.disbursed - i.applied + i.given_back
          USING ERRCODE = 'check_violation';
      END IF;
    END $$;

    CREATE OR REPLACE FUNCTION billbot_check_payment(payment bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      p record;
    BEGIN
      SELECT y.amount, y.unapplied, y.status,
             COALESCE(sum(pa.amount) FILTER (WHERE pa.kind = 'applied'), 0) AS applied,
             COALESCE(sum(pa.amount) FILTER (WHERE pa.kind = 'reversed'), 0) AS given_back,
             COALESCE(bool_or(i.account_id <> y.account_id OR i.currency <> y.currency), false) AS foreign_invoice,
             COALESCE(bool_or(pa.kind = 'reversed' AND (a.kind <> 'applied' OR a.payment_id <> pa.payment_id
                                                        OR a.invoice_id <> pa.invoice_id OR a.amount <> pa.amount)), false) AS bad_reversal
        INTO p
        FROM payments y
        LEFT JOIN payment_applications pa ON pa.payment_id = y.id
        LEFT JOIN invoices i ON i.id = pa.invoice_id
        LEFT JOIN payment_applications a ON a.id = pa.reverses_id
       WHERE y.id = payment
       GROUP BY y.id;
      IF NOT FOUND THEN RETURN; END IF;
      IF (p.status = 'recorded' AND (p.applied + p.unapplied <> p.amount OR p.given_back <> 0))
         OR (p.status = 'reversed' AND (p.applied <> p.given_back OR p.unapplied <> 0)) THEN
        RAISE EXCEPTION 'payment PM-% (%) of % has % applied, % reversed and % unapplied',
          lpad(payment::text, 6, '0'), p.status, p.amount, p.applied, p.given_back, p.unapplied
          USING ERRCODE = 'check_violation';
      END IF;
      IF p.foreign_invoice THEN
        RAISE EXCEPTION 'payment PM-% is applied to an invoice of another account or currency', lpad(payment::text, 6, '0')
          USING ERRCODE = 'check_violation';
      END IF;
      IF p.bad_reversal THEN
        RAISE EXCEPTION 'payment PM-% has a reversal that does not give back its own application', lpad(payment::text, 6, '0')
          USING ERRCODE = 'check_violation';
      END IF;
    END $$;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
