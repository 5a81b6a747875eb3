import { ADDRESS_FIELDS } from '../address';

/**
 * The statements of a staged setup import (./stage.ts stages the rows, ./accountsSheet.ts,
 * ./accountPackagesSheet.ts and ./write.ts run the rest), each one set-based over the staged
 * rows whatever their number. The staging tables are temporary and dropped at the
 * transaction's end (a refused or failed import leaves nothing):
 * - setup_account_rows: one row per Accounts row whose form was right (its row number, the
 *   values as read, a bit per nullable field the row gives); setup_accounts_checked: the same
 *   with what the check finds (the stored account, the account as it would be stored, what the
 *   row does), made by one statement rather than updates of the staged rows;
 * - setup_account_package_rows: one row per Account Packages row whose form was right;
 * - setup_packages: the packages as they would be stored (a few rows, from the Packages check);
 * - setup_account_packages_checked: each account package row checked: what it does, or its problem.
 */

/** A bit per nullable field of an Accounts row: set when the row gives the field (a blank clears it). */
export const GIVEN = {
  displayName: 1,
  parent: 2,
  invoiceTo: 4,
  paymentTerms: 8,
  ...Object.fromEntries(ADDRESS_FIELDS.map((f, i) => [f.key, 16 << i])),
} as Record<'displayName' | 'parent' | 'invoiceTo' | 'paymentTerms' | (typeof ADDRESS_FIELDS)[number]['key'], number>;

/** Whether the row gives a field (`bit` is one of GIVEN's constants, never input). */
export const given = (bit: number, row = 'r') => `(${row}.given & ${bit}) <> 0`;

// The address columns (constants of billing/address.ts, never input).
const ADDRESS_COLUMNS = ADDRESS_FIELDS.map((f) => f.column);

export const CREATE_STAGE = `
  DROP TABLE IF EXISTS setup_account_rows, setup_accounts_checked, setup_account_package_rows, setup_packages, setup_account_packages_checked, setup_tree_nodes;
  CREATE TEMP TABLE setup_account_rows (
    row_no integer NOT NULL,
    key text NOT NULL,
    name text NOT NULL,
    given integer NOT NULL,
    display_name text, currency text, status text, bill_group text, bill_group_key text, bill_day smallint,
    parent text, parent_key text, invoice_to text, invoice_key text,
    ${ADDRESS_COLUMNS.map((c) => `${c} text`).join(', ')},
    payment_terms_days integer
  ) ON COMMIT DROP;
  CREATE TEMP TABLE setup_account_package_rows (
    row_no integer NOT NULL,
    account text NOT NULL, account_key text NOT NULL,
    package text NOT NULL, package_key text NOT NULL,
    quantity integer, status text, effective_date date, next_bill_date date
  ) ON COMMIT DROP;
  CREATE TEMP TABLE setup_packages (key text NOT NULL, currency text NOT NULL, status text NOT NULL, stored_id bigint) ON COMMIT DROP;`;

/** One chunk of Accounts rows, as arrays (SetupStage.account's order). */
export const STAGE_ACCOUNTS = `
  INSERT INTO setup_account_rows (row_no, key, name, given, display_name, currency, status, bill_group, bill_group_key, bill_day,
                                  parent, parent_key, invoice_to, invoice_key, ${ADDRESS_COLUMNS.join(', ')}, payment_terms_days)
  SELECT * FROM unnest(?::integer[], ?::text[], ?::text[], ?::integer[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::smallint[],
                       ?::text[], ?::text[], ?::text[], ?::text[], ${ADDRESS_COLUMNS.map(() => '?::text[]').join(', ')}, ?::integer[])`;

/** One chunk of Account Packages rows. */
export const STAGE_ACCOUNT_PACKAGES = `
  INSERT INTO setup_account_package_rows (row_no, account, account_key, package, package_key, quantity, status, effective_date, next_bill_date)
  SELECT * FROM unnest(?::integer[], ?::text[], ?::text[], ?::text[], ?::text[], ?::integer[], ?::text[], ?::date[], ?::date[])`;

/** After the last chunk: the index the checks join on, and statistics (autovacuum never analyzes a temporary table). */
export const STAGED = `
  CREATE INDEX ON setup_account_rows (key);
  ANALYZE setup_account_rows;
  ANALYZE setup_account_package_rows`;

/**
 * The Accounts rows among themselves: a row naming an account an earlier row names is a
 * problem (the first row is related) and is dropped from the stage.
 */
export const DUPLICATE_ACCOUNTS = `
  WITH twice AS (SELECT key FROM setup_account_rows GROUP BY key HAVING count(*) > 1),
  d AS (
    SELECT row_no, min(row_no) OVER (PARTITION BY key) AS first FROM setup_account_rows WHERE key IN (SELECT key FROM twice)
  )
  DELETE FROM setup_account_rows r USING d
  WHERE d.row_no = r.row_no AND d.first <> d.row_no
  RETURNING r.row_no, r.name, d.first`;

/**
 * The Account Packages rows among themselves, as the rows come: a row naming the account and
 * package of an earlier row is a problem (the first such row whose dates are in order is
 * related); else a next bill date before the effective date of the same row is. Either way
 * the row is dropped from the stage.
 */
export const ACCOUNT_PACKAGES_TOGETHER = `
  WITH twice AS (SELECT account_key, package_key FROM setup_account_package_rows GROUP BY 1, 2 HAVING count(*) > 1),
  d AS (
    SELECT row_no, coalesce(next_bill_date < effective_date, false) AS dates_wrong,
           min(row_no) FILTER (WHERE NOT coalesce(next_bill_date < effective_date, false)) OVER (PARTITION BY account_key, package_key) AS first
    FROM setup_account_package_rows
    WHERE next_bill_date < effective_date OR (account_key, package_key) IN (SELECT account_key, package_key FROM twice)
  )
  DELETE FROM setup_account_package_rows r USING d
  WHERE d.row_no = r.row_no AND (d.first < d.row_no OR d.dates_wrong)
  RETURNING r.row_no, r.account, r.package, coalesce(d.first < d.row_no, false) AS duplicate, d.first,
            r.effective_date::text AS effective, r.next_bill_date::text AS next`;

/**
 * Each Accounts row against what is stored, in one statement (a new table, not updates of the
 * staged one): the stored account of the same name; whether the parent and invoicer it names
 * are known (in the rows or stored); the account as it would be stored (m_*: a field the row
 * does not give, or a reference that is wrong, keeps what is stored); a new account's place
 * among the new ones (its id at the write). Parameters: the names the rows' form check refused
 * (twice): a reference to one is not a second problem.
 */
export const CHECK_ACCOUNTS = [
  `CREATE TEMP TABLE setup_accounts_checked ON COMMIT DROP AS
  WITH x AS (
    SELECT r.*, a.id AS stored_id, a.currency AS s_currency, a.status AS s_status, lower(p.name) AS s_parent, lower(i.name) AS s_invoicer,
      CASE WHEN r.parent_key IS NULL THEN NULL WHEN r.parent_key = r.key THEN 'self'
           WHEN EXISTS (SELECT 1 FROM setup_account_rows s WHERE s.key = r.parent_key)
             OR EXISTS (SELECT 1 FROM accounts k WHERE lower(k.name) = r.parent_key) THEN 'known'
           WHEN r.parent_key = ANY(?::text[]) THEN 'refused' ELSE 'unknown' END AS parent_state,
      CASE WHEN r.invoice_key IS NULL THEN NULL WHEN r.invoice_key = r.key THEN 'self'
           WHEN EXISTS (SELECT 1 FROM setup_account_rows s WHERE s.key = r.invoice_key)
             OR EXISTS (SELECT 1 FROM accounts k WHERE lower(k.name) = r.invoice_key) THEN 'known'
           WHEN r.invoice_key = ANY(?::text[]) THEN 'refused' ELSE 'unknown' END AS invoice_state
    FROM setup_account_rows r
    LEFT JOIN accounts a ON lower(a.name) = r.key
    LEFT JOIN accounts p ON p.id = a.parent_id
    LEFT JOIN accounts i ON i.id = a.invoicer_id
  )
  SELECT x.*,
    (stored_id IS NULL AND currency IS NULL) OR parent_state IN ('self', 'unknown', 'refused') OR invoice_state IN ('unknown', 'refused') AS unresolved,
    coalesce(currency, s_currency, '') AS m_currency,
    coalesce(status, s_status, 'active') AS m_status,
    CASE WHEN NOT ${given(GIVEN.parent, 'x')} THEN s_parent WHEN parent_key IS NULL THEN NULL
         WHEN parent_state = 'known' THEN parent_key ELSE s_parent END AS m_parent,
    CASE WHEN NOT ${given(GIVEN.invoiceTo, 'x')} THEN s_invoicer WHEN invoice_key IS NULL OR invoice_state = 'self' THEN NULL
         WHEN invoice_state = 'known' THEN invoice_key ELSE s_invoicer END AS m_invoicer,
    CASE WHEN stored_id IS NULL THEN 'created' END AS action,
    CASE WHEN stored_id IS NULL THEN row_number() OVER (PARTITION BY stored_id IS NULL ORDER BY row_no) END AS new_rank
  FROM x`,
  `CREATE INDEX ON setup_accounts_checked (key);
   ANALYZE setup_accounts_checked`,
];

/** What the rows' references break (JS words them), in the order they are checked per row. */
export const ACCOUNT_REFERENCE_PROBLEMS = `
  SELECT row_no, what, value FROM (
    SELECT row_no, 1 AS o, 'currency' AS what, '' AS value FROM setup_accounts_checked WHERE stored_id IS NULL AND currency IS NULL
    UNION ALL SELECT row_no, 2, 'parent-' || parent_state, parent FROM setup_accounts_checked WHERE parent_state IN ('self', 'unknown')
    UNION ALL SELECT row_no, 3, 'invoiceTo-unknown', invoice_to FROM setup_accounts_checked WHERE invoice_state = 'unknown'
  ) p ORDER BY row_no, o`;

/** Stored accounts in use (packages, charges, credits, invoices) whose rows change their currency: the currency is kept. */
export const KEEP_CURRENCIES = `
  WITH changed AS (
    SELECT r.row_no, r.m_currency AS currency, a.currency AS stored_currency
    FROM setup_accounts_checked r JOIN accounts a ON a.id = r.stored_id
    WHERE r.m_currency <> a.currency
      AND (EXISTS (SELECT 1 FROM account_packages x WHERE x.account_id = a.id) OR EXISTS (SELECT 1 FROM transactions x WHERE x.account_id = a.id)
           OR EXISTS (SELECT 1 FROM credits x WHERE x.account_id = a.id) OR EXISTS (SELECT 1 FROM invoices x WHERE x.account_id = a.id))
  )
  UPDATE setup_accounts_checked r SET m_currency = c.stored_currency FROM changed c WHERE r.row_no = c.row_no
  RETURNING c.row_no, c.currency, c.stored_currency`;

/**
 * The accounts the tree rules can concern, as they would be stored: those with a parent or an
 * invoicer (or a stored parent), and the accounts those name. An account with none of these
 * cannot break a rule nor be on a chain, so it is not loaded. Read back by pages of `n`.
 */
export const TREE_NODES = `
  CREATE TEMP TABLE setup_tree_nodes ON COMMIT DROP AS
  WITH m AS (
    SELECT coalesce(r.key, lower(a.name)) AS key, coalesce(a.name, r.name) AS name, r.row_no,
           ${given(GIVEN.parent)} AS parent_given,
           coalesce(r.m_currency, a.currency) AS currency, coalesce(r.m_status, a.status) AS status,
           CASE WHEN r.row_no IS NULL THEN lower(p.name) ELSE r.m_parent END AS parent,
           CASE WHEN r.row_no IS NULL THEN lower(i.name) ELSE r.m_invoicer END AS invoicer,
           coalesce(r.unresolved, false) AS unresolved,
           a.id AS stored_id, a.currency AS stored_currency, a.status AS stored_status, a.parent_id AS stored_parent_id, lower(p.name) AS stored_parent
    FROM setup_accounts_checked r
    FULL JOIN accounts a ON a.id = r.stored_id
    LEFT JOIN accounts p ON p.id = a.parent_id
    LEFT JOIN accounts i ON i.id = a.invoicer_id
  ),
  linked AS (SELECT key, parent, invoicer, stored_parent FROM m WHERE parent IS NOT NULL OR invoicer IS NOT NULL OR stored_parent IS NOT NULL),
  wanted AS (
    SELECT key FROM linked UNION SELECT parent FROM linked UNION SELECT invoicer FROM linked UNION SELECT stored_parent FROM linked
  )
  SELECT row_number() OVER (ORDER BY m.row_no NULLS FIRST) AS n, m.* FROM m WHERE m.key IN (SELECT key FROM wanted WHERE key IS NOT NULL);
  CREATE UNIQUE INDEX ON setup_tree_nodes (n)`;

export const TREE_PAGE = `
  SELECT key, name, row_no, parent_given, currency, status, parent, invoicer, unresolved,
         stored_id, stored_currency, stored_status, stored_parent_id
  FROM setup_tree_nodes WHERE n > ? ORDER BY n LIMIT ?`;

/** The bill groups the rows name, each once, in the order first named. */
export const NAMED_BILL_GROUPS = `
  SELECT bill_group FROM (
    SELECT DISTINCT ON (bill_group_key) bill_group, row_no FROM setup_account_rows
    WHERE bill_group IS NOT NULL ORDER BY bill_group_key, row_no
  ) g ORDER BY row_no`;

/** What each row of a stored account does: changes it, or leaves it as it is (a new one's rows create it). */
export const ACCOUNT_ACTIONS = `
  UPDATE setup_accounts_checked r SET action = CASE WHEN
      (NOT ${given(GIVEN.displayName)} OR r.display_name IS NOT DISTINCT FROM a.display_name)
      AND r.m_currency = a.currency AND r.m_status = a.status
      AND (r.bill_group_key IS NULL OR r.bill_group_key = lower(g.name))
      AND (r.bill_day IS NULL OR r.bill_day = a.bill_day)
      AND r.m_parent IS NOT DISTINCT FROM lower(p.name)
      AND r.m_invoicer IS NOT DISTINCT FROM lower(i.name)
      AND ${ADDRESS_FIELDS.map((f) => `(NOT ${given(GIVEN[f.key])} OR r.${f.column} IS NOT DISTINCT FROM a.${f.column})`).join(' AND ')}
      AND (NOT ${given(GIVEN.paymentTerms)} OR r.payment_terms_days IS NOT DISTINCT FROM a.payment_terms_days)
    THEN 'unchanged' ELSE 'updated' END
  FROM accounts a
  LEFT JOIN accounts p ON p.id = a.parent_id
  LEFT JOIN accounts i ON i.id = a.invoicer_id
  LEFT JOIN bill_groups g ON g.id = a.bill_group_id
  WHERE a.id = r.stored_id`;

export const ACCOUNT_COUNTS = `SELECT action, count(*)::integer AS n FROM setup_accounts_checked GROUP BY action`;

/**
 * Each Account Packages row against the accounts and packages as they would be stored, and the
 * stored account package of the pair (the live one, else the most recent cancelled one): the
 * first thing wrong with it (a code JS words), else what it does, with the values it writes.
 * Parameters: the account and package names the rows' form check refused.
 */
export const CHECK_ACCOUNT_PACKAGES = `
  CREATE TEMP TABLE setup_account_packages_checked ON COMMIT DROP AS
  WITH x AS (
    SELECT r.*, (s.key IS NOT NULL OR a.id IS NOT NULL) AS account_known,
           coalesce(s.m_currency, a.currency) AS account_currency, coalesce(sa.name, s.name, a.name) AS account_name,
           coalesce(s.stored_id, a.id) AS account_stored_id,
           p.key IS NOT NULL AS package_known, p.currency AS package_currency, p.status AS package_status, p.stored_id AS package_stored_id
    FROM setup_account_package_rows r
    LEFT JOIN setup_accounts_checked s ON s.key = r.account_key
    LEFT JOIN accounts sa ON sa.id = s.stored_id
    LEFT JOIN accounts a ON s.key IS NULL AND lower(a.name) = r.account_key
    LEFT JOIN setup_packages p ON p.key = r.package_key
  ),
  y AS (
    SELECT x.*, sp.id AS pair_id, sp.quantity AS s_quantity, sp.status AS s_status, sp.effective_date AS s_effective,
           sp.next_bill_date AS s_next, sp.cancel_date AS s_cancel, sp.anchor_day AS s_anchor
    FROM x LEFT JOIN LATERAL (
      SELECT * FROM account_packages ap WHERE ap.account_id = x.account_stored_id AND ap.package_id = x.package_stored_id
      ORDER BY (ap.status <> 'cancelled') DESC, ap.id DESC LIMIT 1
    ) sp ON x.account_stored_id IS NOT NULL AND x.package_stored_id IS NOT NULL
  ),
  z AS (
    SELECT y.*, coalesce(effective_date, s_effective) AS w_effective, coalesce(next_bill_date, s_next, effective_date) AS w_next,
           coalesce(quantity, s_quantity, 1) AS w_quantity, coalesce(status, s_status, 'active') AS w_status
    FROM y
  )
  SELECT z.*, CASE
      WHEN w_next = s_next THEN s_anchor ELSE extract(day FROM w_next)::smallint END AS w_anchor,
    CASE
      WHEN NOT account_known THEN CASE WHEN account_key = ANY(?::text[]) THEN 'skip' ELSE 'account' END
      WHEN NOT package_known THEN CASE WHEN package_key = ANY(?::text[]) THEN 'skip' ELSE 'package' END
      WHEN account_currency <> '' AND package_currency <> account_currency THEN 'currency'
      WHEN pair_id IS NULL AND effective_date IS NULL THEN 'effective'
      WHEN pair_id IS NULL AND package_status <> 'active' THEN 'inactive'
      WHEN pair_id IS NULL AND w_next < w_effective THEN 'next'
      WHEN pair_id IS NULL THEN 'created'
      WHEN w_next < w_effective THEN 'order'
      WHEN s_cancel IS NOT NULL AND w_effective > s_cancel THEN 'cancel'
      WHEN w_quantity = s_quantity AND w_status = s_status AND w_effective = s_effective AND w_next = s_next THEN 'unchanged'
      ELSE 'updated' END AS code
  FROM z`;

export const ACCOUNT_PACKAGE_PROBLEMS = `
  SELECT row_no, code, account, package, next_bill_date IS NOT NULL AS next_given, w_effective::text AS effective, w_next::text AS next,
         s_cancel::text AS cancel, account_currency, account_name, package_currency
  FROM setup_account_packages_checked WHERE code NOT IN ('created', 'updated', 'unchanged', 'skip') ORDER BY row_no`;

export const ACCOUNT_PACKAGE_COUNTS = `SELECT code AS action, count(*)::integer AS n FROM setup_account_packages_checked GROUP BY code`;
