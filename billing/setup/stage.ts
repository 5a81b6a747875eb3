import type { Knex } from 'knex';
import { ADDRESS_FIELDS } from '../address';
import { key } from './rows';
import { CREATE_STAGE, GIVEN, STAGE_ACCOUNT_PACKAGES, STAGE_ACCOUNTS, STAGED } from './stageSql';
import type { PlannedAccount, PlannedAccountPackage, SetupPlan, SetupRefs, SetupSink, StagedSheet } from './types';

/** Refs kept in a list per sheet: a row is stored as its place in the list. */
export function arrayRefs<R>(): SetupRefs<R> {
  const refs: Record<StagedSheet, R[]> = { accounts: [], accountPackages: [] };
  return {
    rowOf: (sheet, ref) => refs[sheet].push(ref) - 1,
    refOf: (sheet, row) => refs[sheet][row]!,
  };
}

/**
 * Rows sent in one statement. Each column goes as one array literal; at 5,000 rows those were
 * over V8's 128 KB large-object size, allocated straight in the old generation and freed only
 * by its (lazy) collections: the peak memory of a 400,000-row import was about 100 MB higher.
 */
export const STAGE_CHUNK = 2000;

type Column = unknown[];

/**
 * The checked Accounts and Account Packages rows of a setup import, staged in temporary tables
 * of the import's transaction as they come (in chunks of STAGE_CHUNK rows, one statement
 * each): nothing holds them all in memory. Rows are added synchronously (as a reader checks
 * them) and written by `flush`, which the reader awaits between batches.
 */
export class SetupStage<R> implements SetupSink<R> {
  private accounts: Column[] = [];
  private accountPackages: Column[] = [];
  /** The chunk being written (see flush). */
  private writing: Promise<void> = Promise.resolve();
  /** Rows staged, per sheet. */
  readonly staged: Record<StagedSheet, number> = { accounts: 0, accountPackages: 0 };

  constructor(
    readonly trx: Knex.Transaction,
    readonly refs: SetupRefs<R>,
  ) {
    this.accounts = newColumns(14 + ADDRESS_FIELDS.length + 1);
    this.accountPackages = newColumns(9);
  }

  async create(): Promise<void> {
    await this.trx.raw(CREATE_STAGE);
  }

  account(a: PlannedAccount<R>): void {
    let givenBits = 0;
    const bit = (name: keyof typeof GIVEN, value: unknown) => {
      if (value !== undefined) givenBits |= GIVEN[name];
      return value ?? null;
    };
    const values: unknown[] = [
      this.refs.rowOf('accounts', a.ref),
      key(a.name),
      a.name,
      0,
      bit('displayName', a.displayName),
      a.currency ?? null,
      a.status ?? null,
      a.billGroup ?? null,
      a.billGroup === undefined ? null : key(a.billGroup),
      a.billDay ?? null,
      bit('parent', a.parent),
      a.parent ? key(a.parent) : null,
      bit('invoiceTo', a.invoiceTo),
      a.invoiceTo ? key(a.invoiceTo) : null,
      ...ADDRESS_FIELDS.map((f) => bit(f.key, a[f.key])),
      bit('paymentTerms', a.paymentTermsDays),
    ];
    values[3] = givenBits;
    values.forEach((v, i) => this.accounts[i]!.push(v));
  }

  accountPackage(ap: PlannedAccountPackage<R>): void {
    const values = [
      this.refs.rowOf('accountPackages', ap.ref),
      ap.account,
      key(ap.account),
      ap.package,
      key(ap.package),
      ap.quantity ?? null,
      ap.status ?? null,
      ap.effectiveDate ?? null,
      ap.nextBillDate ?? null,
    ];
    values.forEach((v, i) => this.accountPackages[i]!.push(v));
  }

  /**
   * Sends what is pending once a chunk is full (or all of it when `all`) without waiting for it
   * to be written: the reader parses the next rows while PostgreSQL writes these (the two on
   * two cores instead of taking turns). One chunk at most is in flight: a flush first waits
   * for the one before, and throws if it failed; `finish` waits for the last.
   */
  async flush(all = false): Promise<void> {
    const min = all ? 1 : STAGE_CHUNK;
    const writes: [string, Column[]][] = [];
    if (pending(this.accounts) >= min) {
      writes.push([STAGE_ACCOUNTS, this.accounts]);
      this.staged.accounts += pending(this.accounts);
      this.accounts = newColumns(this.accounts.length);
    }
    if (pending(this.accountPackages) >= min) {
      writes.push([STAGE_ACCOUNT_PACKAGES, this.accountPackages]);
      this.staged.accountPackages += pending(this.accountPackages);
      this.accountPackages = newColumns(this.accountPackages.length);
    }
    if (!writes.length) return;
    await this.writing;
    this.writing = (async () => {
      for (const [sql, columns] of writes) await this.trx.raw(sql, columns as Knex.Value[]);
    })();
    // Its failure is thrown by the next flush or by finish; when the reading fails first, the
    // transaction rolls back with the reader's error and this one is not wanted.
    this.writing.catch(() => undefined);
  }

  /** Stages the rows of a plan held in memory. */
  async addPlan(plan: SetupPlan<R>): Promise<void> {
    for (const a of plan.accounts) {
      this.account(a);
      await this.flush();
    }
    for (const ap of plan.accountPackages) {
      this.accountPackage(ap);
      await this.flush();
    }
  }

  /** After the last row: writes what is pending, indexes and analyzes the staged rows. */
  async finish(): Promise<void> {
    await this.flush(true);
    await this.writing;
    await this.trx.raw(STAGED);
  }
}

/** Rows waiting in a sheet's columns (each column holds one value per row). */
const pending = (columns: Column[]): number => columns[0]!.length;

function newColumns(n: number): Column[] {
  return Array.from({ length: n }, () => []);
}
