/**
 * A whole key exchange with both parties in one process: the quantum rounds, QBER estimation, Cascade, privacy
 * amplification and confirmation, called at the same seams the networked Alice, Bob and workers use.
 */
import { cryptoRandom, type RandomSource, runQuantumBatch } from "../quantum/mod.ts";
import { concatBits } from "./bits.ts";
import { cascade } from "./cascade.ts";
import { confirmationTag, verifyConfirmation } from "./confirmation.ts";
import { KeyMaterialError, SessionAbortError } from "./errors.ts";
import { KeyBudget, type KeyBudgetOptions } from "./key_budget.ts";
import { ParityResponder } from "./parity_oracle.ts";
import { chooseSample, countErrors, splitSample } from "./qber.ts";
import { DEFAULT_SECURITY } from "./secure_length.ts";
import { privacyAmplify } from "./toeplitz.ts";

/** Options of {@linkcode runSessionLocally}. */
export interface LocalSessionOptions extends KeyBudgetOptions {
  /** The requested key length lc in bits. */
  keyBits: number;
  /** Bit-flip probability of the polarizer→meter link. @default {0} */
  noise?: number;
  /** Share of the photons an intercept–resend Eve measures and resends. @default {0} */
  eve?: number;
  /** Source of every random choice of both parties, the workers and the channel. @default {cryptoRandom} */
  random?: RandomSource;
  /** Cascade passes. @default {the Cascade schedule's} */
  cascadePasses?: number;
  /** Rounds of raw positions before the session gives up. @default {8} */
  maxRounds?: number;
  /** Aborts the session (it rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The outcome of {@linkcode runSessionLocally}. */
export interface LocalSessionResult {
  /** Alice's final key, exactly `keyBits` bits (one per byte); empty when aborted. */
  aliceKey: Uint8Array;
  /** Bob's final key, as Alice's. */
  bobKey: Uint8Array;
  /** The pooled QBER estimate from the sacrificed samples. */
  qber: number;
  /** The real disagreement rate of the sifted bits before correction (only a simulation knows it). */
  trueQber: number;
  /** Raw positions used over all rounds. */
  rawPositions: number;
  /** Rounds of raw positions. */
  rounds: number;
  /** Bits left after sifting, samples included. */
  siftedBits: number;
  /** Parity bits Cascade disclosed. */
  leakage: number;
  /** The secure length of the reconciled material (at least `keyBits` when the session succeeds). */
  secureBits: number;
  /** Length of the final keys: `keyBits`, or 0 when aborted. */
  finalBits: number;
  /** Why the session ended without a key (the message of a {@linkcode SessionAbortError}). */
  aborted?: string;
}

/**
 * Runs a session end to end in-process. Round after round (sized by {@linkcode KeyBudget}): a quantum batch, a
 * sample chosen by a seed Alice draws and both sides disclose, an abort if the pooled QBER is above the threshold,
 * Cascade on the rest with Alice answering parities; then privacy amplification of all reconciled bits down to
 * exactly `keyBits` with a Toeplitz seed Alice draws, and confirmation of Bob's key against Alice's tag.
 *
 * @throws {RangeError} when an option is out of range
 * @example A 128-bit key over a clean link
 * ```ts
 * import { runSessionLocally } from "./mod.ts";
 * import { SeededRandom } from "../quantum/mod.ts";
 * const result = await runSessionLocally({ keyBits: 128, random: new SeededRandom(1) });
 * console.assert(result.finalBits === 128 && result.aliceKey.join() === result.bobKey.join());
 * ```
 */
export async function runSessionLocally(options: LocalSessionOptions): Promise<LocalSessionResult> {
  const { keyBits, noise, eve, random = cryptoRandom, cascadePasses, maxRounds = 8, signal } = options;
  const budget = new KeyBudget(keyBits, options);
  const aliceChunks: Uint8Array[] = [];
  const bobChunks: Uint8Array[] = [];
  let siftedErrors = 0;
  const drawBytes = (bytes: number) => {
    const out = new Uint8Array(bytes);
    random.fill(out);
    return out;
  };
  const outcome = (aliceKey: Uint8Array, bobKey: Uint8Array, aborted?: string): LocalSessionResult => ({
    aliceKey,
    bobKey,
    qber: budget.qber,
    trueQber: budget.siftedBits === 0 ? 0 : siftedErrors / budget.siftedBits,
    rawPositions: budget.rawPositions,
    rounds: budget.rounds,
    siftedBits: budget.siftedBits,
    leakage: budget.evidence.leakage,
    secureBits: budget.secureBits,
    finalBits: aliceKey.length,
    ...(aborted === undefined ? {} : { aborted }),
  });
  try {
    while (!budget.complete) {
      signal?.throwIfAborted();
      if (budget.rounds === maxRounds) {
        throw new KeyMaterialError(keyBits, budget.secureBits, budget.rawPositions, budget.rounds);
      }
      const positions = budget.nextBatchPositions();
      const batch = runQuantumBatch(positions, { noise, eve, random });
      const sifted = batch.positions.length;
      budget.addBatch(positions, sifted);
      siftedErrors += countErrors(batch.aliceBits, batch.bobBits);

      const sample = chooseSample(sifted, budget.sampleSize(sifted), drawBytes(16));
      const alice = splitSample(batch.aliceBits, sample);
      const bob = splitSample(batch.bobBits, sample);
      budget.addSample(sample.length, countErrors(alice.sampled, bob.sampled));

      // Both sides lay Cascade's passes out from one public seed; Bob names blocks by (pass, start, end).
      const plan = { qber: budget.qber, passes: cascadePasses, seed: drawBytes(16) };
      const responder = new ParityResponder(alice.kept, plan);
      const corrected = await cascade(bob.kept, responder, { ...plan, signal });
      budget.addReconciled(alice.kept.length, responder.disclosed);
      aliceChunks.push(alice.kept);
      bobChunks.push(corrected.bits);
    }
    // Confirmation over the reconciled bits, before amplification: the tag's bits are in the leakage the secure
    // length removes, so the final key keeps its full secrecy.
    const amplificationSeed = drawBytes(32);
    const aliceReconciled = concatBits(aliceChunks);
    const bobReconciled = concatBits(bobChunks);
    const nonce = drawBytes(16);
    const tag = await confirmationTag(
      aliceReconciled,
      nonce,
      options.confirmationBits ?? DEFAULT_SECURITY.confirmationBits,
    );
    await verifyConfirmation(bobReconciled, nonce, tag);
    const aliceKey = await privacyAmplify(aliceReconciled, keyBits, amplificationSeed);
    const bobKey = await privacyAmplify(bobReconciled, keyBits, amplificationSeed);
    return outcome(aliceKey, bobKey);
  } catch (error) {
    if (!(error instanceof SessionAbortError)) throw error;
    return outcome(new Uint8Array(), new Uint8Array(), error.message);
  }
}
