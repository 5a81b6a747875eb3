import Decimal from 'decimal.js';
import { InvalidAmountError, InvalidInputError } from './errors';

/**
 * The one wrapper around decimal arithmetic. Every amount in billbot is a Money; every
 * rounding to a currency's minor unit happens in `roundToMinorUnit`, here and nowhere else.
 */
const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
type DecimalValue = InstanceType<typeof D>;

export interface Currency {
  code: string;
  /** Digits after the decimal point: USD 2, JPY 0, KWD 3. */
  minorUnits: number;
}

const knownCurrencies = new Set<string>(Intl.supportedValuesOf('currency'));
const currencyCache = new Map<string, Currency>();

/** Looks up an ISO 4217 currency (its minor unit comes from the runtime's ICU data). */
export function currency(code: string): Currency {
  const upper = code.trim().toUpperCase();
  const cached = currencyCache.get(upper);
  if (cached) return cached;
  if (!/^[A-Z]{3}$/.test(upper) || !knownCurrencies.has(upper)) {
    throw new InvalidInputError(`"${code}" is not an ISO 4217 currency code (for example USD, EUR, JPY).`);
  }
  const minorUnits = new Intl.NumberFormat('en', { style: 'currency', currency: upper }).resolvedOptions()
    .maximumFractionDigits as number;
  const found = { code: upper, minorUnits };
  currencyCache.set(upper, found);
  return found;
}

export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && knownCurrencies.has(code);
}

/** The single rounding rule: half up to the currency's minor unit. */
function roundToMinorUnit(value: DecimalValue, cur: Currency): DecimalValue {
  return value.toDecimalPlaces(cur.minorUnits, D.ROUND_HALF_UP);
}

export class Money {
  private constructor(
    private readonly value: DecimalValue,
    readonly currency: Currency,
  ) {}

  static zero(cur: Currency | string): Money {
    return new Money(new D(0), typeof cur === 'string' ? currency(cur) : cur);
  }

  /**
   * An exact amount that already fits the currency (as stored in the database, e.g.
   * "140.000000"). Throws if it has more precision than the currency allows.
   */
  static exact(value: string | number | DecimalValue, cur: Currency | string): Money {
    const c = typeof cur === 'string' ? currency(cur) : cur;
    if (typeof value === 'number' && !Number.isInteger(value)) {
      throw new InvalidAmountError('Fractional amounts must be given as text, never as floating point numbers.');
    }
    const d = new D(value);
    if (!d.isFinite()) throw new InvalidAmountError(`"${String(value)}" is not an amount.`);
    if (!roundToMinorUnit(d, c).eq(d)) {
      throw new InvalidAmountError(
        `${d.toString()} has more decimal places than ${c.code} allows (${c.minorUnits}).`,
      );
    }
    return new Money(d, c);
  }

  /** An amount computed with more precision than the currency has, rounded half up. */
  static rounded(value: string | DecimalValue, cur: Currency | string): Money {
    const c = typeof cur === 'string' ? currency(cur) : cur;
    return new Money(roundToMinorUnit(new D(value), c), c);
  }

  private same(other: Money): void {
    if (other.currency.code !== this.currency.code) {
      throw new InvalidInputError(`Cannot combine ${this.currency.code} and ${other.currency.code} amounts.`);
    }
  }

  add(other: Money): Money {
    this.same(other);
    return new Money(this.value.plus(other.value), this.currency);
  }

  subtract(other: Money): Money {
    this.same(other);
    return new Money(this.value.minus(other.value), this.currency);
  }

  /** Multiplies by a whole quantity; the result is exact, so no rounding is needed. */
  times(quantity: number): Money {
    if (!Number.isSafeInteger(quantity)) throw new InvalidInputError('A quantity must be a whole number.');
    return new Money(this.value.times(quantity), this.currency);
  }

  min(other: Money): Money {
    this.same(other);
    return this.value.lte(other.value) ? this : other;
  }

  compare(other: Money): number {
    this.same(other);
    return this.value.comparedTo(other.value);
  }
  gt(other: Money): boolean {
    return this.compare(other) > 0;
  }
  gte(other: Money): boolean {
    return this.compare(other) >= 0;
  }
  lt(other: Money): boolean {
    return this.compare(other) < 0;
  }
  eq(other: Money): boolean {
    return this.compare(other) === 0;
  }
  isZero(): boolean {
    return this.value.isZero();
  }
  isPositive(): boolean {
    return this.value.gt(0);
  }
  isNegative(): boolean {
    return this.value.lt(0);
  }

  /** Fixed-point text with exactly the currency's minor unit digits: "140.00". Used for storage and JSON. */
  toString(): string {
    return this.value.toFixed(this.currency.minorUnits);
  }

  toJSON(): string {
    return this.toString();
  }

  /**
   * The amount as a floating-point number, for drawing only (a bar's height in a chart): never
   * for arithmetic, storage or showing an amount (format() does that, exactly).
   */
  toDrawingNumber(): number {
    return this.value.toNumber();
  }

  /** For people: "$140.00", "-$50.00", "¥1,000", "KWD 1.250". */
  format(): string {
    // lt(0), not isNegative(): a value rounded to zero from below is -0, and "-$0.00" means nothing.
    const negative = this.value.lt(0);
    const [whole, fraction] = this.value.abs().toFixed(this.currency.minorUnits).split('.');
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const digits = fraction ? `${grouped}.${fraction}` : grouped;
    const symbol = currencySymbol(this.currency.code);
    const text = symbol.length === 1 ? `${symbol}${digits}` : `${this.currency.code} ${digits}`;
    return negative ? `-${text}` : text;
  }
}

const symbolCache = new Map<string, string>();
function currencySymbol(code: string): string {
  let symbol = symbolCache.get(code);
  if (symbol === undefined) {
    const part = new Intl.NumberFormat('en', { style: 'currency', currency: code, currencyDisplay: 'narrowSymbol' })
      .formatToParts(0)
      .find((p) => p.type === 'currency');
    symbol = part?.value ?? code;
    symbolCache.set(code, symbol);
  }
  return symbol;
}

const AMOUNT_PATTERN = /^\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$/;

/**
 * Reads an amount a person typed: `50`, `50.00`, `$50`, `1,234.56`. Refuses negatives,
 * zero, text and more decimals than the currency has, each with one sentence.
 */
export function parseAmount(text: string, cur: Currency | string): Money {
  const c = typeof cur === 'string' ? currency(cur) : cur;
  const expected = `Expected an amount greater than zero like ${amountExamples(c)}${
    c.minorUnits === 2 ? '' : ` (${c.code} has ${c.minorUnits} decimal places)`
  }`;
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) throw new InvalidAmountError(`${expected}; a negative amount like "${trimmed}" is not allowed.`);
  if (!AMOUNT_PATTERN.test(trimmed)) throw new InvalidAmountError(`${expected}; got "${trimmed}".`);
  const d = new D(trimmed.replace(/[$,]/g, ''));
  if (d.isZero()) throw new InvalidAmountError(`${expected}; got zero.`);
  // Count the digits typed, not decimal.js's decimalPlaces() (which drops trailing zeros):
  // "50.100" in USD or "1000.00" in JPY has more decimals than the currency has.
  const typedDecimals = trimmed.includes('.') ? trimmed.length - trimmed.indexOf('.') - 1 : 0;
  if (typedDecimals > c.minorUnits) {
    throw new InvalidAmountError(
      `${expected}; "${trimmed}" has more decimal places than ${c.code} allows (${c.minorUnits}).`,
    );
  }
  return Money.exact(d.toString(), c);
}

/** Examples of typed amounts that fit the currency: "50, 50.00, $50 or 1,234.56" for USD. */
function amountExamples(c: Currency): string {
  if (c.minorUnits === 0) return '50, $50 or 1,234';
  const zeros = '0'.repeat(c.minorUnits);
  const digits = '567890'.slice(0, c.minorUnits);
  return `50, 50.${zeros}, $50 or 1,234.${digits}`;
}

/** True when the text reads as an amount (used by command parsers to find the amount token). */
export function looksLikeAmount(text: string): boolean {
  return AMOUNT_PATTERN.test(text.trim()) || /^-\$?\d/.test(text.trim());
}

/** Sums amounts of one currency; an empty list is zero. */
export function sum(amounts: Money[], cur: Currency | string): Money {
  return amounts.reduce((acc, m) => acc.add(m), Money.zero(cur));
}
