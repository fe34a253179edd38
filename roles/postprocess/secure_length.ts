/**
 * How many secret bits a reconciled key still holds, from what was measured and what was disclosed. The bound
 * used (BB84, one-way post-processing, finite-size corrections in their simplest form):
 *
 *     e_u = the largest p ≤ ½ with k·D(e ‖ p) ≤ ln(1/ε)     e = errors/k in the k sacrificed sample bits
 *     m   = ⌊ n·(1 − h(e_u)) − leak_EC − t − 2·log₂(1/ε) ⌋
 *
 * with D the binary relative entropy (the Chernoff–Hoeffding tail bound: a true error rate above e_u shows so few
 * errors in the sample with probability below ε; for an error-free sample e_u ≈ ln(1/ε)/k), n the reconciled
 * bits, h the binary entropy (the phase-error information Eve may hold per bit), leak_EC the
 * parity bits Cascade disclosed, t the confirmation tag bits and 2·log₂(1/ε) the leftover-hash-lemma margin of
 * privacy amplification. It is an honest simulation-grade bound, not a composable security proof.
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

/** The upper bound e_u on the error rate, given the sample (½ when the sample says nothing tighter). */
export function qberUpperBound(evidence: KeyEvidence, options: SecurityOptions = {}): number {
  const { sampleBits, sampleErrors } = evidence;
  const observed = sampleBits === 0 ? 0.5 : sampleErrors / sampleBits;
  if (observed >= 0.5) return 0.5;
  const budget = Math.log(1 / ({ ...DEFAULT_SECURITY, ...options }).securityEpsilon);
  if (sampleBits * relativeEntropy(observed, 0.5) <= budget) return 0.5;
  // D(observed ‖ p) grows with p above `observed`: bisect for the p where the tail bound reaches ε.
  let [low, high] = [observed, 0.5];
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (sampleBits * relativeEntropy(observed, mid) <= budget) low = mid;
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
  const length = evidence.reconciledBits - phaseInformation - evidence.leakage - confirmationBits - margin;
  return Math.max(0, Math.floor(length));
}
