/**
 * The running account of a session's key material, kept by the coordinator round after round: positions spent,
 * bits sifted, sampled and reconciled, errors seen and parity bits disclosed. It decides whether the material
 * already holds the requested key and, if not, how many raw positions to ask for next.
 */
import { checkQber, DEFAULT_QBER_THRESHOLD } from "./qber.ts";
import { DEFAULT_SECURITY, type KeyEvidence, secureKeyLength, type SecurityOptions } from "./secure_length.ts";

/** Options of {@linkcode KeyBudget}. */
export interface KeyBudgetOptions extends SecurityOptions {
  /** Pooled QBER above which the session aborts. @default {0.11} */
  qberThreshold?: number;
  /** The first round works on ⌈multiplier · key bits⌉ positions (`key_length_multiplier`). @default {2.5} */
  keyLengthMultiplier?: number;
  /** Share of each round's sifted bits sacrificed to estimate the QBER. @default {0.2} */
  sampleFraction?: number;
}

/** Headroom on a projected round, so that the estimate's noise rarely makes one more round necessary. */
const PROJECTION_HEADROOM = 1.1;
/** Most a round may grow the material when projecting: past this, the yield is taken as nil. */
const MAX_GROWTH = 64;

/**
 * The account of one session. The first round asks for ⌈2.5·lc⌉ positions (key_length_multiplier); after each round the
 * secure length of the pooled material is computed ({@linkcode secureKeyLength}) and, while it is short of the
 * requested bits, the next round is sized by projecting the yield seen so far (with 10 % headroom, and at least
 * a quarter of the positions spent so far: tiny rounds reconcile poorly and shift the estimate, and a string of
 * them used to run out of rounds). So a session asks for the raw positions it needs instead of failing short.
 *
 * @example
 * ```ts
 * import { KeyBudget } from "./mod.ts";
 * const budget = new KeyBudget(128);
 * console.assert(budget.nextBatchPositions() === 320);
 * budget.addBatch(320, 160);
 * budget.addSample(budget.sampleSize(160), 0);
 * budget.addReconciled(128, 10);
 * console.assert(!budget.complete && budget.nextBatchPositions() > 320);
 * ```
 */
export class KeyBudget {
  /** The requested key length lc. */
  readonly targetBits: number;
  readonly #options: Required<KeyBudgetOptions>;
  #rawPositions = 0;
  #siftedBits = 0;
  #rounds = 0;
  readonly #evidence: KeyEvidence = { reconciledBits: 0, sampleBits: 0, sampleErrors: 0, leakage: 0 };
  #workerLeakage = 0;

  /** @throws {RangeError} when `targetBits` is not a positive integer or an option is out of range */
  constructor(targetBits: number, options: KeyBudgetOptions = {}) {
    if (!Number.isInteger(targetBits) || targetBits < 1) {
      throw new RangeError(`Cannot plan a key of ${targetBits} bits: expected a positive integer`);
    }
    this.targetBits = targetBits;
    this.#options = {
      qberThreshold: DEFAULT_QBER_THRESHOLD,
      keyLengthMultiplier: 2.5,
      sampleFraction: 0.2,
      ...DEFAULT_SECURITY,
      ...options,
    };
    const { sampleFraction, keyLengthMultiplier, securityEpsilon } = this.#options;
    if (!(sampleFraction > 0 && sampleFraction < 1)) {
      throw new RangeError(`Cannot plan a key: sampleFraction must be within 0-1 (exclusive), got ${sampleFraction}`);
    }
    if (!(keyLengthMultiplier > 0)) {
      throw new RangeError(`Cannot plan a key: keyLengthMultiplier must be positive, got ${keyLengthMultiplier}`);
    }
    if (!(securityEpsilon > 0 && securityEpsilon < 1)) {
      throw new RangeError(`Cannot plan a key: securityEpsilon must be within 0-1 (exclusive), got ${securityEpsilon}`);
    }
  }

  /** Raw positions spent so far. */
  get rawPositions(): number {
    return this.#rawPositions;
  }

  /** Sifted bits so far, samples included. */
  get siftedBits(): number {
    return this.#siftedBits;
  }

  /** Rounds (batches) so far. */
  get rounds(): number {
    return this.#rounds;
  }

  /** The pooled figures the secure length depends on (a copy). */
  get evidence(): KeyEvidence {
    return { ...this.#evidence, ...(this.#workerLeakage > 0 ? { workerLeakage: this.#workerLeakage } : {}) };
  }

  /** The pooled QBER estimate: errors over sample bits, 0 before any sample. */
  get qber(): number {
    const { sampleBits, sampleErrors } = this.#evidence;
    return sampleBits === 0 ? 0 : sampleErrors / sampleBits;
  }

  /** The secret bits the reconciled material holds so far. */
  get secureBits(): number {
    return secureKeyLength(this.evidence, this.#options);
  }

  /** Whether the material already holds the requested key. */
  get complete(): boolean {
    return this.secureBits >= this.targetBits;
  }

  /** How many of a round's sifted bits to sacrifice to the QBER estimate. */
  sampleSize(siftedBits: number): number {
    return Math.min(siftedBits, Math.ceil(siftedBits * this.#options.sampleFraction));
  }

  /** Raw positions to ask for in the next round. */
  nextBatchPositions(): number {
    const first = Math.ceil(this.#options.keyLengthMultiplier * this.targetBits);
    if (this.#rawPositions === 0) return first;
    const lengthAt = (extra: number) => {
      const scale = (this.#rawPositions + extra) / this.#rawPositions;
      const e = this.#evidence;
      return secureKeyLength({
        reconciledBits: e.reconciledBits * scale,
        sampleBits: e.sampleBits * scale,
        sampleErrors: e.sampleErrors * scale,
        leakage: e.leakage * scale,
        workerLeakage: this.#workerLeakage * scale,
      }, this.#options);
    };
    let high = this.#rawPositions;
    while (lengthAt(high) < this.targetBits) {
      // No positive yield in sight: double the material and look again with the next round's figures.
      if (high >= MAX_GROWTH * this.#rawPositions) return Math.max(first, this.#rawPositions);
      high *= 2;
    }
    let low = 0;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (lengthAt(mid) >= this.targetBits) high = mid;
      else low = mid;
    }
    return Math.max(Math.ceil(this.#rawPositions / 4), Math.ceil(high * PROJECTION_HEADROOM));
  }

  /** Records a round's quantum phase: positions spent and bits left after sifting. */
  addBatch(positions: number, siftedBits: number): void {
    this.#rounds++;
    this.#rawPositions += positions;
    this.#siftedBits += siftedBits;
  }

  /**
   * Records a round's sample and checks the pooled QBER.
   *
   * @returns the pooled QBER estimate
   * @throws {QberThresholdError} when it exceeds the threshold
   */
  addSample(sampleBits: number, errors: number): number {
    this.#evidence.sampleBits += sampleBits;
    this.#evidence.sampleErrors += errors;
    return checkQber(this.#evidence.sampleErrors, this.#evidence.sampleBits, this.#options.qberThreshold);
  }

  /**
   * Records a round's reconciled bits and the parity bits Cascade disclosed on them, and (when workers are
   * counted) the kept bits of every round so far that the most exposed colluding workers saw.
   */
  addReconciled(bits: number, leakage: number, workerLeakage?: number): void {
    this.#evidence.reconciledBits += bits;
    this.#evidence.leakage += leakage;
    if (workerLeakage !== undefined) this.#workerLeakage = workerLeakage;
  }
}
