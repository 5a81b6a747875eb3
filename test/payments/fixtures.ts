import type { Billing } from '../../billing';
import { useTestDatabase } from '../helpers/db';
import { ledgerViolations, setUpFamily } from '../credits/fixtures';

/**
 * A fresh database for each test with the worked example's family (test/credits/fixtures.ts,
 * setUpFamily), and the ledger's invariants checked after each test, before the database goes.
 */
export function usePaymentFamily(): { readonly db: ReturnType<typeof useTestDatabase>['db']; readonly billing: Billing } {
  // Declared before the database's own hooks: jest runs this one first, while the database exists.
  afterEach(async () => {
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
  const t = useTestDatabase({ each: true });
  let billing: Billing | undefined;
  beforeEach(async () => {
    billing = await setUpFamily(t.db);
  });
  return {
    get db() {
      return t.db;
    },
    get billing() {
      if (!billing) throw new Error('The family exists only inside tests and hooks.');
      return billing;
    },
  };
}
