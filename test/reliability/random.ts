/**
 * A seeded random source for the fault tests, so a failure can be replayed: the seed is
 * BILLBOT_TEST_SEED when set, else the time, and is shown in failure messages.
 */
export function randomSource(seed = Number(process.env.BILLBOT_TEST_SEED) || Date.now() % 2 ** 31): (() => number) & { seed: number } {
  // mulberry32
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, { seed });
}
