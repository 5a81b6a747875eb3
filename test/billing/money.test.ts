import fc from 'fast-check';
import { BillingError, InvalidAmountError, InvalidInputError } from '../../billing/errors';
import { currency, Money, parseAmount, sum } from '../../billing/money';

/** Minor units (a bigint count of cents, fils, yen) as the fixed-point text Money uses. */
function fromMinor(units: bigint, minorUnits: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(minorUnits + 1, '0');
  const whole = digits.slice(0, digits.length - minorUnits);
  const fraction = digits.slice(digits.length - minorUnits);
  return `${negative ? '-' : ''}${whole}${minorUnits ? `.${fraction}` : ''}`;
}

describe('currencies', () => {
  it('know their minor unit: USD 2, JPY 0, KWD 3', () => {
    expect(currency('USD').minorUnits).toBe(2);
    expect(currency('jpy')).toEqual({ code: 'JPY', minorUnits: 0 });
    expect(currency(' KWD ').minorUnits).toBe(3);
  });

  it('refuses a code that is not ISO 4217 with one sentence', () => {
    expect(() => currency('ABC')).toThrow(InvalidInputError);
    expect(() => currency('dollars')).toThrow('"dollars" is not an ISO 4217 currency code (for example USD, EUR, JPY).');
  });
});

describe('parseAmount: what a person types', () => {
  it.each([
    ['50', 'USD', '50.00'],
    ['50.00', 'USD', '50.00'],
    ['50.5', 'USD', '50.50'],
    ['$50', 'USD', '50.00'],
    ['1,234.56', 'USD', '1234.56'],
    ['$1,234,567.89', 'USD', '1234567.89'],
    ['  75.10 ', 'USD', '75.10'],
    ['1000', 'JPY', '1000'],
    ['1,000', 'JPY', '1000'],
    ['1.250', 'KWD', '1.250'],
    ['0.001', 'KWD', '0.001'],
  ])('reads %j in %s as %s', (text, code, expected) => {
    expect(parseAmount(text, code).toString()).toBe(expected);
  });

  it.each([
    ['-50', /negative amount like "-50" is not allowed/],
    ['-$50', /negative/],
    ['0', /got zero/],
    ['0.00', /got zero/],
    ['$0', /got zero/],
    ['fifty', /got "fifty"/],
    ['50 dollars', /got "50 dollars"/],
    ['', /got ""/],
    ['1e3', /got "1e3"/],
    ['12,34.56', /got "12,34.56"/],
    ['50.', /got "50."/],
    ['.50', /got ".50"/],
    ['$ 50', /got "\$ 50"/],
    ['50.001', /has more decimal places than USD allows \(2\)/],
  ])('refuses %j in USD, saying what was expected', (text, detail) => {
    let thrown: unknown;
    try {
      parseAmount(text, 'USD');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidAmountError);
    const message = (thrown as Error).message;
    expect(message).toMatch(/^Expected an amount greater than zero like 50, 50\.00, \$50 or 1,234\.56; /);
    expect(message).toMatch(detail);
    expect(message).not.toMatch(/\n/);
  });

  it('refuses more decimals than the currency has, counting the digits typed (USD 2, JPY 0, KWD 3)', () => {
    // Typed zeros count too: "50.100" is not a US dollar amount a person could mean exactly.
    expect(() => parseAmount('50.100', 'USD')).toThrow(/"50\.100" has more decimal places than USD allows \(2\)/);
    expect(() => parseAmount('1000.5', 'JPY')).toThrow(/JPY has 0 decimal places/);
    expect(() => parseAmount('1000.00', 'JPY')).toThrow(/more decimal places than JPY allows \(0\)/);
    expect(() => parseAmount('1.2345', 'KWD')).toThrow(/more decimal places than KWD allows \(3\)/);
    expect(() => parseAmount('1.2500', 'KWD')).toThrow(InvalidAmountError);
  });

  it('gives examples that fit the currency', () => {
    expect(() => parseAmount('abc', 'JPY')).toThrow(/^Expected an amount greater than zero like 50, \$50 or 1,234 \(JPY has 0 decimal places\); got "abc"\.$/);
    expect(() => parseAmount('abc', 'KWD')).toThrow(/like 50, 50\.000, \$50 or 1,234\.567 \(KWD has 3 decimal places\)/);
  });

  it('is a BillingError with a stable code', () => {
    let thrown: unknown;
    try {
      parseAmount('x', 'USD');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(BillingError);
    expect((thrown as InvalidAmountError).code).toBe('invalid_amount');
  });
});

describe('Money', () => {
  it('formats for people with symbol, grouping and the minor unit', () => {
    expect(Money.exact('140', 'USD').format()).toBe('$140.00');
    expect(Money.exact('1234567.5', 'USD').format()).toBe('$1,234,567.50');
    expect(Money.exact('-50', 'USD').format()).toBe('-$50.00');
    expect(Money.exact('1000', 'JPY').format()).toBe('¥1,000');
    expect(Money.exact('1.25', 'KWD').format()).toBe('KWD 1.250');
    expect(Money.exact('5', 'EUR').format()).toBe('€5.00');
    expect(Money.zero('USD').format()).toBe('$0.00');
  });

  it('stores fixed-point text with exactly the minor unit digits', () => {
    expect(Money.exact('140.000000', 'USD').toString()).toBe('140.00');
    expect(JSON.stringify({ total: Money.exact('7', 'KWD') })).toBe('{"total":"7.000"}');
  });

  it('refuses an exact amount with more precision than the currency, and fractional JS numbers', () => {
    expect(() => Money.exact('0.001', 'USD')).toThrow(/more decimal places than USD allows \(2\)/);
    expect(() => Money.exact(0.1, 'USD')).toThrow(/never as floating point numbers/);
    expect(() => Money.exact('NaN', 'USD')).toThrow(InvalidAmountError);
    expect(Money.exact(5, 'USD').toString()).toBe('5.00');
  });

  it('rounds half up to the minor unit, in Money.rounded only', () => {
    expect(Money.rounded('0.005', 'USD').toString()).toBe('0.01');
    expect(Money.rounded('0.004999', 'USD').toString()).toBe('0.00');
    expect(Money.rounded('2.5', 'JPY').toString()).toBe('3');
    expect(Money.rounded('1.0005', 'KWD').toString()).toBe('1.001');
    expect(Money.rounded('1.00049', 'KWD').toString()).toBe('1.000');
    // Half up means away from zero for the half: a refund of -0.005 rounds to -0.01.
    expect(Money.rounded('-0.005', 'USD').toString()).toBe('-0.01');
    // A tiny negative rounds to zero, never to "-$0.00".
    expect(Money.rounded('-0.001', 'USD').toString()).toBe('0.00');
    expect(Money.rounded('-0.001', 'USD').format()).toBe('$0.00');
  });

  it('refuses to combine two currencies', () => {
    expect(() => Money.exact('1', 'USD').add(Money.exact('1', 'EUR'))).toThrow('Cannot combine USD and EUR amounts.');
    expect(() => Money.exact('1', 'USD').compare(Money.exact('1', 'JPY'))).toThrow(InvalidInputError);
  });

  it('multiplies by whole quantities only', () => {
    expect(Money.exact('40.00', 'USD').times(3).toString()).toBe('120.00');
    expect(() => Money.exact('40.00', 'USD').times(1.5)).toThrow('A quantity must be a whole number.');
  });

  it('compares and takes the smaller', () => {
    const a = Money.exact('90', 'USD');
    const b = Money.exact('50', 'USD');
    expect(a.gt(b) && a.gte(b) && b.lt(a) && !a.eq(b)).toBe(true);
    expect(a.min(b)).toBe(b);
    expect(a.subtract(a).isZero()).toBe(true);
    expect(b.subtract(a).isNegative()).toBe(true);
    expect(sum([], 'USD').toString()).toBe('0.00');
  });
});

describe('Money properties', () => {
  const currencies = fc.constantFrom(['USD', 2] as const, ['JPY', 0] as const, ['KWD', 3] as const);
  const minorAmount = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n });

  it('sums are exact: the sum of amounts is the sum of their minor units', () => {
    fc.assert(
      fc.property(currencies, fc.array(minorAmount, { maxLength: 40 }), ([code, units], amounts) => {
        const total = sum(
          amounts.map((a) => Money.exact(fromMinor(a, units), code)),
          code,
        );
        expect(total.toString()).toBe(fromMinor(amounts.reduce((x, y) => x + y, 0n), units));
      }),
    );
  });

  it('toString and parseAmount round-trip every positive amount of every currency', () => {
    fc.assert(
      fc.property(currencies, fc.bigInt({ min: 1n, max: 10n ** 15n }), ([code, units], a) => {
        const money = Money.exact(fromMinor(a, units), code);
        expect(parseAmount(money.toString(), code).eq(money)).toBe(true);
      }),
    );
  });

  it('format and parseAmount round-trip dollar amounts ("$1,234.56")', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), (cents) => {
        const money = Money.exact(fromMinor(cents, 2), 'USD');
        expect(parseAmount(money.format(), 'USD').toString()).toBe(money.toString());
      }),
    );
  });

  it('rounded is half up: it agrees with integer arithmetic on the next digit', () => {
    fc.assert(
      fc.property(currencies, fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 1, max: 4 }), ([code, units], raw, extra) => {
        // raw has `extra` more digits than the currency; round it by hand.
        const scale = 10n ** BigInt(extra);
        const down = raw / scale;
        const remainder = raw % scale;
        const expected = remainder * 2n >= scale ? down + 1n : down;
        expect(Money.rounded(fromMinor(raw, units + extra), code).toString()).toBe(fromMinor(expected, units));
        expect(Money.rounded(fromMinor(-raw, units + extra), code).toString()).toBe(fromMinor(-expected, units));
      }),
    );
  });
});
