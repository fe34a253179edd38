/**
 * Alice's post-processing steps of a session, each one exchange on the session's authenticated channel: the QBER
 * estimate of a round, its reconciliation (Bob runs Cascade against Alice's parities), and the final
 * confirmation and amplification.
 */
import {
  chooseSample,
  concatBits,
  confirmationTag,
  countErrors,
  DEFAULT_SECURITY,
  type KeyBudget,
  KeyConfirmationError,
  ParityResponder,
  privacyAmplify,
  SessionAbortError,
  splitSample,
  unpackBits,
} from "../postprocess/mod.ts";
import { pickBits } from "../quantum/mod.ts";
import { fields, METHOD } from "./messages.ts";
import type { SessionChannel } from "./session_channel.ts";
import { STEP, type StepTimer } from "./steps.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** A batch of a round as Alice holds it once complete. */
export interface BatchOutcome {
  id: string;
  spins: Uint8Array;
  positions: Uint32Array;
  /** Identities (hex) of the workers of its key slots. */
  keyWorkers: readonly string[];
}

/** What the steps of one session share. */
export interface RoundContext {
  channel: SessionChannel;
  steps: StepTimer;
  budget: KeyBudget;
  signal?: AbortSignal;
}

/** A round's sifted bits, sample and what is kept of each batch. */
export interface EstimatedRound {
  sifted: Uint8Array;
  kept: Uint8Array;
  /** Kept (unsampled) bits of each batch, in batch order. */
  keptPerBatch: number[];
}

/**
 * Extracts Alice's sifted bits of a round, has Bob disclose a random sample of his, and counts the errors into the
 * budget.
 * @throws {QberThresholdError} when the pooled QBER exceeds the threshold
 * @throws {SessionAbortError} when Bob's answer does not match the round
 */
export async function estimateQber(
  context: RoundContext,
  round: number,
  outcomes: readonly BatchOutcome[],
): Promise<EstimatedRound> {
  const { steps, budget, channel } = context;
  const parts = await steps.time(STEP.extract, () => outcomes.map((o) => pickBits(o.spins, o.positions)));
  const sifted = concatBits(parts);
  budget.addBatch(outcomes.reduce((sum, o) => sum + o.spins.length, 0), sifted.length);
  return await steps.time(STEP.qber, async () => {
    const seed = runtime.randomBytes(new Uint8Array(16));
    const size = budget.sampleSize(sifted.length);
    const reply = fields(
      await channel.request(METHOD.sample, { round, batches: outcomes.map((o) => o.id), seed, size }, {
        ...(context.signal ? { signal: context.signal } : {}),
      }),
      "Bob's sample",
    );
    if (
      reply.siftedBits !== sifted.length || !(reply.bits instanceof Uint8Array) ||
      reply.bits.length !== Math.ceil(size / 8)
    ) {
      throw new SessionAbortError(
        `Cannot compare samples: Bob sifted ${reply.siftedBits} bits of round ${round}, Alice ${sifted.length}`,
      );
    }
    const sample = chooseSample(sifted.length, size, seed);
    const split = splitSample(sifted, sample);
    budget.addSample(size, countErrors(split.sampled, unpackBits(reply.bits, size)));
    const keptPerBatch: number[] = [];
    let start = 0;
    let s = 0;
    for (const part of parts) {
      const end = start + part.length;
      let sampled = 0;
      while (s < sample.length && sample[s]! < end) s++, sampled++;
      keptPerBatch.push(part.length - sampled);
      start = end;
    }
    return { sifted, kept: split.kept, keptPerBatch };
  });
}

/** The size of the public seed from which both sides lay out Cascade's passes. */
export const CASCADE_SEED_BYTES = 16;

/** Alice's parities of a round, laid out from a fresh public seed and the round's QBER estimate. */
export function roundResponder(kept: Uint8Array, qber: number): { responder: ParityResponder; seed: Uint8Array } {
  const seed = runtime.randomBytes(new Uint8Array(CASCADE_SEED_BYTES));
  return { responder: new ParityResponder(kept, { seed, qber }), seed };
}

/**
 * Has Bob reconcile a round's kept bits against `responder` (Alice's parities, which only Bob's identity may ask),
 * sending him the seed and QBER estimate the responder was laid out from.
 * @returns the parity bits disclosed
 */
export async function reconcile(
  context: RoundContext,
  round: number,
  layout: { responder: ParityResponder; seed: Uint8Array },
  timeoutMs: number,
): Promise<number> {
  const { responder, seed } = layout;
  await context.steps.time(
    STEP.cascade,
    () =>
      context.channel.request(METHOD.reconcile, { round, qber: context.budget.qber, seed }, {
        timeoutMs,
        ...(context.signal ? { signal: context.signal } : {}),
      }),
  );
  return responder.disclosed;
}

/** The outcome of {@linkcode confirm}. */
export interface Confirmed {
  key: Uint8Array;
  bobSteps: Record<string, number>;
}

/**
 * Confirms the reconciled key with Bob and amplifies it: the tag is over the reconciled bits (before
 * amplification; its bits are in the leakage the secure length removes) and binds the amplification seed, so that
 * Bob's confirming it means both sides amplify the same bits with the same seed.
 *
 * @throws {KeyConfirmationError} when Bob's reconciled bits differ
 */
export async function confirm(
  context: RoundContext,
  reconciled: Uint8Array,
  keyBits: number,
  workerLeakage: number,
): Promise<Confirmed> {
  const { steps, channel } = context;
  const seed = runtime.randomBytes(new Uint8Array(32));
  const reply = await steps.time(STEP.confirmation, async () => {
    const nonce = new Uint8Array(48);
    nonce.set(runtime.randomBytes(new Uint8Array(16)));
    nonce.set(seed, 16);
    const tag = await confirmationTag(reconciled, nonce, DEFAULT_SECURITY.confirmationBits);
    return fields(
      await channel.request(METHOD.confirm, { keyBits, seed, nonce, tag, workerLeakage }, {
        ...(context.signal ? { signal: context.signal } : {}),
      }),
      "Bob's confirmation",
    );
  });
  if (reply.confirmed !== true) throw new KeyConfirmationError();
  const key = await steps.time(STEP.amplification, () => privacyAmplify(reconciled, keyBits, seed));
  return { key, bobSteps: (reply.steps ?? {}) as Record<string, number> };
}
