import type { Knex } from 'knex';
import { useTestDatabase } from '../helpers/db';
import { accountsUnknownToStatistics } from '../helpers/statistics';

// The payments' account key, checked once per statement (migrations 180 and 185): a big
// statement's anti join is not a nested loop while the accounts' statistics are stale.

class RolledBack extends Error {}

/** `ids`' payments, written in one statement. */
function paymentsOf(trx: Knex.Transaction, ids: string[]): Promise<{ rowCount: number }> {
  return trx.raw(
    `INSERT INTO payments (account_id, currency, amount, unapplied, received_on, reference, created_by)
     SELECT id, 'USD', 1, 1, '2026-10-01', 'KEY-' || id, 'U' FROM unnest(?::bigint[]) id`,
    [ids],
  );
}

describe('the account key of payments, checked per statement (migration 185)', () => {
  const t = useTestDatabase();

  it('checks a big statement by a hash or merge anti join when the accounts it names are unknown to the statistics', async () => {
    // Accounts the statistics say are none (as after an import rolled back, then analyzed): a
    // nested loop anti join would read every account for each payment (growing with the
    // square).
    const n = 25_000;
    const outcome = await t.db
      .transaction(async (trx) => {
        const ids = await accountsUnknownToStatistics(trx, 'Payer ', n);
        await trx.raw(`SET LOCAL statement_timeout = '3s'`);
        const written = await paymentsOf(trx, ids);
        expect(written.rowCount).toBe(n);
        throw new RolledBack();
      })
      .catch((e: { code?: string }) => (e instanceof RolledBack ? 'checked' : `the check did not finish in 3 s (${e.code})`));
    expect(outcome).toBe('checked');
  });

  it('still refuses a payment of an account that does not exist, in a big statement with stale statistics', async () => {
    const n = 12_000;
    const refused = await t.db
      .transaction(async (trx) => {
        const ids = await accountsUnknownToStatistics(trx, 'Stale payer ', n);
        ids[n - 1] = '999999999';
        await paymentsOf(trx, ids);
        return null;
      })
      .catch((e: { code?: string; constraint?: string; detail?: string }) => e);
    expect(refused).toMatchObject({ code: '23503', constraint: 'payments_account_id_fkey', detail: 'Key (account_id)=(999999999) is not present in table "accounts".' });
  });
});
