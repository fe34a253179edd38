/**
 * How many secret bits a reconciled key still holds, from what was measured and what was disclosed. The bound
 * used (BB84, one-way post-processing, finite-size corrections in their simplest form):
 *
 *     μ_u = min( the largest p ≤ ½ with k·D(e ‖ p) ≤ ln(2/ε),  e + √(ln(2/ε)·(1 − (k−1)/N) / (2k)) )
 *     e_u = (N·μ_u − k·e) / n                                   e = errors/k in the k sacrificed sample bits
 *     m   = ⌊ n·(1 − h(e_u)) − leak_EC − leak_W − t − 2·log₂(1/ε) ⌋
 *
 * The sample is k bits drawn without replacement from the N = n + k sifted bits. μ_u bounds the error rate of all
 * N bits: the Chernoff–Hoeffding bound (D the binary relative entropy; Hoeffding showed it holds for sampling
 * without replacement too) or Serfling's bound for sampling without replacement, whichever is tighter, each at
 * ε/2. e_u then bounds the rate on the n bits that were not sampled, the ones the key is made of: the errors of
 * all N bits, less those seen in the sample, over n. h is the binary entropy (the phase-error information Eve may
 * hold per bit), leak_EC the parity bits Cascade disclosed, leak_W the bits the most exposed colluding workers
 * saw, t the confirmation tag bits (the tag is computed over the reconciled bits, before amplification) and
 * 2·log₂(1/ε) the leftover-hash-lemma margin of privacy amplification. It is an honest simulation-grade bound,
 * not a composable security proof.
 */

/** The measured and disclosed quantities the bound depends on. */
export interface KeyEvidence {
  /** Bits left after the sample was removed and Cascade ran. */
  reconciledBits: number;
  /** Sifted bits disclosed to estimate the QBER. */
  sampleBits: number;
  /** Disagreements found in the sample. */
  sampleErrors: number;
  /** Parity bits disclosed by error correction. */
  leakage: number;
  /** Kept bits that the most exposed colluding workers saw. @default {0} */
  workerLeakage?: number;
}

/** Security parameters of the bound. */
export interface SecurityOptions {
  /** Failure probability allowed to the QBER estimate and to privacy amplification, each. @default {1e-9} */
  securityEpsilon?: number;
  /** Length of the key confirmation tag, disclosed and so subtracted. @default {64} */
  confirmationBits?: number;
}

/** The defaults of {@linkcode SecurityOptions}. */
export const DEFAULT_SECURITY: Readonly<Required<SecurityOptions>> = { securityEpsilon: 1e-9, confirmationBits: 64 };

/** Binary entropy h(p) = −p·log₂p − (1−p)·log₂(1−p), with h(0) = h(1) = 0. */
export function binaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0;
  return -p * Math.log2(p) - (1 - p) * Math.log2(1 - p);
}

/**
 * The upper bound e_u on the error rate of the reconciled (unsampled) bits, given the sample; the bound μ_u on the
 * rate of all sifted bits when there are none. ½ when the sample says nothing tighter.
 */
export function qberUpperBound(evidence: KeyEvidence, options: SecurityOptions = {}): number {
  const { sampleBits: k, sampleErrors, reconciledBits: n } = evidence;
  const observed = k === 0 ? 0.5 : sampleErrors / k;
  if (observed >= 0.5) return 0.5;
  const budget = Math.log(2 / ({ ...DEFAULT_SECURITY, ...options }).securityEpsilon);
  const serfling = observed + Math.sqrt(budget * (1 - (k - 1) / (n + k)) / (2 * k));
  const population = Math.min(chernoffBound(k, observed, budget), serfling, 0.5);
  if (n <= 0) return population;
  return Math.min(0.5, ((n + k) * population - k * observed) / n);
}

/** The largest p ≤ ½ with k·D(observed ‖ p) ≤ budget (nats). */
function chernoffBound(k: number, observed: number, budget: number): number {
  if (k * relativeEntropy(observed, 0.5) <= budget) return 0.5;
  // D(observed ‖ p) grows with p above `observed`: bisect for the p where the tail bound reaches ε.
  let [low, high] = [observed, 0.5];
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (k * relativeEntropy(observed, mid) <= budget) low = mid;
    else high = mid;
  }
  return high;
}

/** D(q ‖ p) in nats, for 0 ≤ q < 1 and 0 < p < 1. */
function relativeEntropy(q: number, p: number): number {
  const term = (a: number, b: number) => a === 0 ? 0 : a * Math.log(a / b);
  return term(q, p) + term(1 - q, 1 - p);
}

/** The number of secret bits privacy amplification may output (the bound above); 0 when nothing is left. */
export function secureKeyLength(evidence: KeyEvidence, options: SecurityOptions = {}): number {
  const { securityEpsilon, confirmationBits } = { ...DEFAULT_SECURITY, ...options };
  const phaseInformation = evidence.reconciledBits * binaryEntropy(qberUpperBound(evidence, options));
  const margin = 2 * Math.log2(1 / securityEpsilon);
  const disclosed = evidence.leakage + (evidence.workerLeakage ?? 0) + confirmationBits;
  const length = evidence.reconciledBits - phaseInformation - disclosed - margin;
  return Math.max(0, Math.floor(length));
}
