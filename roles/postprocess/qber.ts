/**
 * QBER estimation: both sides disclose the bits of a random sample of the sifted positions, chosen by a seed one
 * side draws and sends, count the disagreements and drop the sample from the key.
 */
import { randomPermutation, SeededRandom } from "../quantum/mod.ts";
import { QberThresholdError } from "./errors.ts";

/** Default QBER above which a session aborts (`qber_threshold`). */
export const DEFAULT_QBER_THRESHOLD = 0.11;

/**
 * The sample positions (ascending) among `length` sifted bits: the first `size` of a permutation drawn from
 * `seed`, so that both sides compute the same sample from the same seed.
 *
 * @throws {RangeError} when `size` is not within 0-`length`
 */
export function chooseSample(length: number, size: number, seed: number | Uint8Array): Uint32Array {
  if (!Number.isInteger(size) || size < 0 || size > length) {
    throw new RangeError(`Cannot choose a sample of ${size} among ${length} bits`);
  }
  return randomPermutation(length, new SeededRandom(seed)).slice(0, size).sort();
}

/** Splits `bits` into the sample (at the ascending `sample` positions) and the rest, both in order. */
export function splitSample(bits: Uint8Array, sample: Uint32Array): { sampled: Uint8Array; kept: Uint8Array } {
  const sampled = new Uint8Array(sample.length);
  const kept = new Uint8Array(bits.length - sample.length);
  let s = 0;
  let k = 0;
  for (let i = 0; i < bits.length; i++) {
    if (s < sample.length && sample[s] === i) sampled[s++] = bits[i]!;
    else kept[k++] = bits[i]!;
  }
  return { sampled, kept };
}

/** The positions where two bit arrays disagree, counted. @throws {RangeError} when the lengths differ */
export function countErrors(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`Cannot compare ${a.length} bits with ${b.length}`);
  let errors = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) errors++;
  return errors;
}

/**
 * The QBER of a sample, checked against the abort threshold.
 *
 * @throws {QberThresholdError} when errors/sampleBits exceeds `threshold`
 */
export function checkQber(errors: number, sampleBits: number, threshold: number = DEFAULT_QBER_THRESHOLD): number {
  const qber = sampleBits === 0 ? 0 : errors / sampleBits;
  if (qber > threshold) throw new QberThresholdError(qber, threshold, sampleBits);
  return qber;
}
