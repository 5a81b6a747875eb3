import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import type { Knex } from 'knex';
import { BillingError } from '../../billing/errors';
import { createBilling } from '../../billing';
import { importSetupWorkbook, WorkbookError } from '../../sheets';
import { createTestDatabase } from '../helpers/db';
import { workedExampleSheets, type Cell } from '../sheets/helpers';

// Fuzzed setup workbooks through the public API of sheets/: the worked example's workbook with
// random cells replaced by random types and values (formulas, huge strings, dates as text, rich
// text, errors, hyperlinks, SQL, mrkdwn), merged cells, hidden sheets and extra sheets. Each
// import is a precise refusal (sheet, row and column for a bad cell; one sentence for an
// unreadable file) that changes nothing, or a correct import: all of it, and importing the same
// workbook again finds nothing to change.

const cellValue: fc.Arbitrary<Cell> = fc.oneof(
  fc.constantFrom<Cell>(
    null, '', ' ', 'Parent Co', 'Child Co', 'Managed Network', 'USD', 'usd', 'JPY', 'active', 'Inactive', 'cancelled', 'monthly',
    'quarterly', 'Default', 'yes', 'no', 'TRUE', 'current month', '2026-09-01 to 2026-09-30', '0 6 1 * *', 'not a cron', 'UTC',
    'Mars/Olympus', '#billing', '2026-09-15', '15/09/2026', '2026-02-30', 'Sept 15', '40.00', '$40', '40.001', '-5', '1,234.56', '1e3',
    `Robert'); DROP TABLE accounts;--`, '<!channel>', '<@U0EVIL>', '=1+1', '@SUM(A1)', '+1', 'NaN', 'null',
  ),
  fc.integer({ min: -1000, max: 100000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.date({ min: new Date('1899-12-31T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z') }),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 201, max: 40000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom<Cell>(
    { formula: '1+1', result: 2 },
    { formula: 'A2', result: 'Parent Co' },
    { formula: 'NOW()', result: new Date('2026-09-15T00:00:00Z') },
    { formula: 'B9', result: undefined } as unknown as Cell,
    { richText: [{ text: 'Child' }, { font: { bold: true }, text: ' Co' }] },
    { text: 'Parent Co', hyperlink: 'https://evil.example' },
    { error: '#N/A' } as unknown as Cell,
  ),
);

interface Mutation {
  sheet: number;
  row: number;
  column: number;
  value: Cell;
}

const plan = fc.record({
  mutations: fc.array(fc.record({ sheet: fc.nat(3), row: fc.nat(3), column: fc.nat(8), value: cellValue }), { maxLength: 4 }),
  merge: fc.option(fc.record({ sheet: fc.nat(3), row: fc.integer({ min: 1, max: 3 }), column: fc.integer({ min: 1, max: 6 }) })),
  hide: fc.option(fc.nat(3)),
  extraSheet: fc.boolean(),
});

async function build(p: { mutations: Mutation[]; merge: { sheet: number; row: number; column: number } | null; hide: number | null; extraSheet: boolean }): Promise<Buffer> {
  const sheets = Object.entries(workedExampleSheets());
  for (const m of p.mutations) {
    const [, rows] = sheets[m.sheet % sheets.length];
    const row = rows[1 + (m.row % (rows.length - 1))]; // data rows only: a broken header is another test's
    row[m.column % row.length] = m.value;
  }
  const wb = new ExcelJS.Workbook();
  sheets.forEach(([name, rows], i) => {
    const ws = wb.addWorksheet(name, p.hide === i ? { state: 'hidden' } : {});
    for (const row of rows) ws.addRow(row as ExcelJS.CellValue[]);
    if (p.merge && p.merge.sheet % sheets.length === i) {
      const r = 1 + p.merge.row;
      ws.mergeCells(r, p.merge.column, r, p.merge.column + 1);
    }
  });
  if (p.extraSheet) wb.addWorksheet('Notes').addRow(['anything', 42, '=cmd|calc']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Everything an import could write, as text. */
async function stored(db: Knex): Promise<string> {
  const tables = ['accounts', 'bill_groups', 'packages', 'services', 'account_packages', 'service_price_overrides', 'bill_run_configurations', 'bill_run_configuration_groups', 'setup_imports'];
  const rows = await Promise.all(tables.map((t) => db(t).orderBy(db.raw('1'))));
  return JSON.stringify(rows);
}

describe('fuzzed setup workbooks', () => {
  it('are refused precisely and leave nothing behind, or imported whole and correctly', async () => {
    const outcomes = { refused: 0, unreadable: 0, imported: 0 };
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const database = await createTestDatabase();
        const db = database.db;
        try {
          const before = await stored(db);
          const file = await build(p);
          let result;
          try {
            result = await importSetupWorkbook(createBilling(db), Readable.from([file]), { actor: 'U_FUZZ' });
          } catch (error) {
            if (!(error instanceof WorkbookError) && !(error instanceof BillingError)) throw error;
            expect(error.message).toMatch(/^[^\n]{1,300}$/);
            expect(await stored(db)).toBe(before);
            outcomes.unreadable++;
            return;
          }
          if (!result.applied) {
            outcomes.refused++;
            expect(result.problems.length).toBeGreaterThan(0);
            for (const problem of result.problems) {
              expect(problem.message).toMatch(/^[^\n]{1,400}$/);
              if (problem.sheet) expect(problem.message).toContain(problem.sheet);
            }
            expect(await stored(db)).toBe(before); // never a half import
            return;
          }
          outcomes.imported++;
          expect(result.problems).toEqual([]);
          expect(result.accounts.created).toBeGreaterThan(0);
          // Correct and whole: the same workbook again finds everything as it says.
          const again = await importSetupWorkbook(createBilling(db), Readable.from([file]), { actor: 'U_FUZZ', dryRun: true });
          expect(again.problems).toEqual([]);
          for (const counts of [again.accounts, again.packages, again.accountPackages, again.billRuns]) {
            expect({ created: counts.created, updated: counts.updated }).toEqual({ created: 0, updated: 0 });
          }
        } finally {
          await database.drop();
        }
      }),
      { numRuns: 40 },
    );
    // The fuzzing reached both sides: some workbooks were imported, some refused.
    expect(outcomes.imported).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, 90_000);
});
