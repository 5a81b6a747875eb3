import { ADDRESS_FIELDS } from '../address';
import { given, GIVEN } from './stageSql';

/**
 * The writes of a staged setup import (./stageSql.ts), once every row is checked: set-based,
 * from the checked rows, whatever their number. A new account's id is the first id of a block
 * taken from the sequence (under the import's lock, no one else inserts accounts) plus its
 * place among the new ones, so that accounts naming each other are each inserted whole.
 */

const ADDRESS_COLUMNS = ADDRESS_FIELDS.map((f) => f.column);

/**
 * The checked account rows that do `action`, with the ids of their account, bill group, parent
 * and invoicer. Parameters: the first id of the block (three times).
 */
const resolvedAccounts = (action: 'created' | 'updated') => `
  SELECT r.*, coalesce(r.stored_id, ?::bigint + r.new_rank - 1) AS id, g.id AS group_id,
         coalesce(ps.stored_id, ?::bigint + ps.new_rank - 1, pa.id) AS parent_id,
         coalesce(vs.stored_id, ?::bigint + vs.new_rank - 1, va.id) AS invoicer_id
  FROM setup_accounts_checked r
  LEFT JOIN bill_groups g ON lower(g.name) = r.bill_group_key
  LEFT JOIN setup_accounts_checked ps ON ps.key = r.m_parent
  LEFT JOIN accounts pa ON ps.key IS NULL AND lower(pa.name) = r.m_parent
  LEFT JOIN setup_accounts_checked vs ON vs.key = r.m_invoicer
  LEFT JOIN accounts va ON vs.key IS NULL AND lower(va.name) = r.m_invoicer
  WHERE r.action = '${action}'`;

/** Takes `n` ids from the accounts' sequence at once; gives the first (parameters: n, n). */
export const TAKE_ACCOUNT_IDS = `
  SELECT setval(pg_get_serial_sequence('accounts', 'id'), nextval(pg_get_serial_sequence('accounts', 'id')) + ? - 1) - ? + 1 AS first`;

/** The new accounts. Parameters: the id of the Default bill group (a new account naming none), the first id (three times). */
export const INSERT_ACCOUNTS = `
  INSERT INTO accounts (id, name, display_name, currency, status, bill_group_id, bill_day, parent_id, invoicer_id,
                        ${ADDRESS_COLUMNS.join(', ')}, payment_terms_days)
  SELECT x.id, x.name, x.display_name, x.m_currency, x.m_status, coalesce(x.group_id, ?), coalesce(x.bill_day, 1), x.parent_id, x.invoicer_id,
         ${ADDRESS_COLUMNS.map((c) => `x.${c}`).join(', ')}, x.payment_terms_days
  FROM (${resolvedAccounts('created')}) x ORDER BY x.row_no`;

/** The changed accounts: a field the row does not give keeps what is stored. Parameters: the first id (three times). */
export const UPDATE_ACCOUNTS = `
  UPDATE accounts a SET
    display_name = CASE WHEN ${given(GIVEN.displayName, 'x')} THEN x.display_name ELSE a.display_name END,
    currency = x.m_currency, status = x.m_status,
    bill_group_id = coalesce(x.group_id, a.bill_group_id), bill_day = coalesce(x.bill_day, a.bill_day),
    parent_id = x.parent_id, invoicer_id = x.invoicer_id,
    ${ADDRESS_FIELDS.map((f) => `${f.column} = CASE WHEN ${given(GIVEN[f.key], 'x')} THEN x.${f.column} ELSE a.${f.column} END`).join(',\n    ')},
    payment_terms_days = CASE WHEN ${given(GIVEN.paymentTerms, 'x')} THEN x.payment_terms_days ELSE a.payment_terms_days END
  FROM (${resolvedAccounts('updated')}) x
  WHERE a.id = x.id`;

/** The checked account package rows that create or change one (after the accounts and packages are written). */
export const ACCOUNT_PACKAGE_WRITES = `
  INSERT INTO account_packages (account_id, package_id, quantity, status, effective_date, next_bill_date, anchor_day)
  SELECT a.id, pk.id, c.w_quantity, c.w_status, c.w_effective, c.w_next, c.w_anchor
  FROM setup_account_packages_checked c
  JOIN accounts a ON lower(a.name) = c.account_key
  JOIN packages pk ON lower(pk.name) = c.package_key
  WHERE c.code = 'created'
  ORDER BY c.row_no;
  UPDATE account_packages ap
  SET quantity = c.w_quantity, status = c.w_status, effective_date = c.w_effective, next_bill_date = c.w_next, anchor_day = c.w_anchor
  FROM setup_account_packages_checked c
  WHERE c.code = 'updated' AND ap.id = c.pair_id`;
