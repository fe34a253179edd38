/**
 * Two statistical tests of NIST SP 800-22 rev. 1a on a bit sequence, to check that final keys look random: the
 * frequency (monobit) test (§2.1) and the runs test (§2.3). A sequence passes when the p-value is at least 0.01.
 */

/** The outcome of a statistical test. */
export interface RandomnessTestResult {
  /** The p-value: the probability that a random sequence looks at least this far from ideal. */
  pValue: number;
  /** Whether `pValue` ≥ 0.01. */
  passed: boolean;
}

/** NIST's recommended minimum length for both tests. */
export const MIN_TEST_BITS = 100;
const SIGNIFICANCE = 0.01;

/**
 * Frequency (monobit) test: are ones and zeros about equally frequent? p = erfc(|Σ(2ε−1)| / √(2n)).
 *
 * @throws {RangeError} when fewer than 100 bits are given
 */
export function monobitTest(bits: Uint8Array): RandomnessTestResult {
  assertLongEnough("monobit", bits);
  const ones = countOnes(bits);
  const sum = 2 * ones - bits.length;
  return result(erfc(Math.abs(sum) / Math.sqrt(2 * bits.length)));
}

/**
 * Runs test: are runs of identical bits as long as chance makes them? Fails outright (p = 0) when the share of
 * ones π is off ½ by 2/√n or more, as NIST prescribes; else p = erfc(|V − 2nπ(1−π)| / (2√(2n)·π(1−π))) with V
 * the number of runs.
 *
 * @throws {RangeError} when fewer than 100 bits are given
 */
export function runsTest(bits: Uint8Array): RandomnessTestResult {
  assertLongEnough("runs", bits);
  const n = bits.length;
  const pi = countOnes(bits) / n;
  if (Math.abs(pi - 0.5) >= 2 / Math.sqrt(n)) return result(0);
  let runs = 1;
  for (let i = 1; i < n; i++) if (bits[i] !== bits[i - 1]) runs++;
  const spread = pi * (1 - pi);
  return result(erfc(Math.abs(runs - 2 * n * spread) / (2 * Math.sqrt(2 * n) * spread)));
}

function assertLongEnough(test: string, bits: Uint8Array): void {
  if (bits.length < MIN_TEST_BITS) {
    throw new RangeError(`Cannot run the ${test} test: it needs at least ${MIN_TEST_BITS} bits, got ${bits.length}`);
  }
}

function countOnes(bits: Uint8Array): number {
  let ones = 0;
  for (const bit of bits) ones += bit & 1;
  return ones;
}

function result(pValue: number): RandomnessTestResult {
  return { pValue, passed: pValue >= SIGNIFICANCE };
}

/** The complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(poly);
  return x >= 0 ? value : 2 - value;
}
