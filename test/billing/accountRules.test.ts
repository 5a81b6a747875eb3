import { brokenInvoicerRule, CYCLE, cycleThrough, linkedChain, rootsOf, sameTree } from '../../billing/accountRules';

describe('the account tree rules (no database)', () => {
  it('names the first invoicer rule a link breaks: active, then currency, then tree', () => {
    const usd = { currency: 'USD', status: 'active' };
    expect(brokenInvoicerRule(usd, usd, true)).toBeNull();
    expect(brokenInvoicerRule(usd, { currency: 'EUR', status: 'inactive' }, false)).toBe('active');
    expect(brokenInvoicerRule(usd, { currency: 'EUR', status: 'active' }, false)).toBe('currency');
    expect(brokenInvoicerRule(usd, usd, false)).toBe('tree');
    // An unknown currency (a new account without one) is not held to the currency rule.
    expect(brokenInvoicerRule({ currency: '' }, { currency: 'EUR', status: 'active' }, true)).toBeNull();
  });

  it('finds roots and cycles over parent links', () => {
    const parents = new Map<string, string | null>([
      ['a', null],
      ['b', 'a'],
      ['c', 'd'],
      ['d', 'c'],
      ['e', 'c'],
    ]);
    const roots = rootsOf(parents, (p) => p, (k) => parents.get(k));
    expect(roots.get('b')).toBe('a');
    expect(roots.get('e')).toBe(CYCLE);
    expect(sameTree(roots.get('a'), roots.get('b'))).toBe(true);
    expect(sameTree(roots.get('a'), roots.get('e'))).toBe(true);
    expect(sameTree('a', 'x')).toBe(false);
    const next = (k: string) => parents.get(k) ?? null;
    expect(cycleThrough('c', next)).toEqual(['c', 'd']);
    expect(cycleThrough('e', next)).toBeNull();
    expect(cycleThrough('b', next)).toBeNull();
  });

  it('sees the cycle a link not made yet would close, from a chain read upward', () => {
    // 3's chain upward is 3 → 2 → 1: a link from 1 to 3 closes a cycle, one from 4 does not.
    expect(cycleThrough(1, linkedChain(1, [3, 2, 1]))).toEqual([1, 3, 2]);
    expect(cycleThrough(4, linkedChain(4, [3, 2, 1]))).toBeNull();
  });
});
