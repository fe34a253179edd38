/** What Alice is configured with, what she is asked for, and what a session reports on her side. */
import type { Peer } from "../../core/net/mod.ts";
import type { KeyStore } from "../keystore/mod.ts";
import type { PeerTrust } from "./peer_trust.ts";
import type { SealedMessengerOptions } from "./sealed_messenger.ts";
import type { StepEvent } from "./steps.ts";
import type { DiscoverFn } from "./worker_pool.ts";

/** The shortest key a session makes: below it a key is guessable, and so is anything derived from it. */
export const MIN_KEY_BITS = 64;

/** Options of {@linkcode Alice.attach}. */
export interface AliceOptions extends SealedMessengerOptions {
  /** How Alice finds workers. */
  discover: DiscoverFn;
  /** The Bobs Alice runs sessions with (pinned identities or role certificates). */
  trust: PeerTrust;
  /** Where confirmed keys go. @default a fresh store */
  keyStore?: KeyStore;
  /**
   * Most positions per batch (one assignment per role): 16,384 positions packed (at most 2 bits each, 4 KB) and their
   * envelope fit one chunk of the messenger (7000 bytes). @default {16384}
   */
  batchPositions?: number;
  /** Fewest positions per batch when a round is spread over more batches. @default {64} */
  minBatchPositions?: number;
  /** Most workers one session uses; they take several batches each when there are more. @default {60} */
  maxWorkers?: number;
  /** Colluding workers privacy amplification protects against (`collusion`). @default {1} */
  collusion?: number;
  /** Time a batch may take to reach Alice, and then Bob, before its workers are probed. @default {5000} */
  batchTimeoutMs?: number;
  /** Attempts per batch (with replaced workers) before the session fails. @default {3} */
  maxAttempts?: number;
  /** Rounds of raw positions before the session gives up. @default {8} */
  maxRounds?: number;
  /** Pooled QBER above which the session aborts (`qber_threshold`). @default {0.11} */
  qberThreshold?: number;
  /** The first round works on ⌈multiplier · key bits⌉ positions (`key_length_multiplier`). @default {2.5} */
  keyLengthMultiplier?: number;
  /** Time Bob may take to reconcile a round (Cascade's exchanges). @default {60000} */
  reconcileTimeoutMs?: number;
  /** Time Bob may take to answer the notification (he reads the DHT first). @default {15000} */
  notifyTimeoutMs?: number;
  /**
   * Time Bob may take to answer a step he computes over a whole round or key: the QBER sample, the confirmation (with
   * his privacy amplification, long for long keys in a busy process). @default {30000}
   */
  answerTimeoutMs?: number;
  /** Keep each session's sifted bits in the result (simulation diagnostics: the true error rate). @default {false} */
  keepSifted?: boolean;
  /** Receives each step as it ends. */
  onStep?: (event: StepEvent) => void;
}

/** What Alice asks for. */
export interface KeyRequest {
  /** Key length lc in bits, at least {@linkcode MIN_KEY_BITS}. */
  keyBits: number;
  /** Bob's address. */
  bob: Peer;
  /** Bit-flip probability of the polarizer→meter link. @default {0} */
  noise?: number;
  /** Share of photons an intercept–resend Eve measures on that link. @default {0} */
  eve?: number;
  /** Colluding workers to protect against in this session (`--collusion t`). @default Alice's `collusion` */
  collusion?: number;
  /**
   * This session's first round works on ⌈multiplier · key bits⌉ positions, instead of Alice's `keyLengthMultiplier`:
   * a caller that knows the link's yield (a key pool, from its last session) asks for one round instead of two.
   */
  keyLengthMultiplier?: number;
  signal?: AbortSignal;
}

/**
 * The number of colluding workers a request protects against (its own, else `collusion`), once its fields are valid.
 * @throws {RangeError} when `keyBits` is not an integer ≥ 64, a rate is not within 0-1 or a count is not positive
 */
export function checkedRequest(request: KeyRequest, collusion: number): number {
  const { keyBits, noise = 0, eve = 0, keyLengthMultiplier = 1 } = request;
  if (!Number.isInteger(keyBits) || keyBits < MIN_KEY_BITS) {
    throw new RangeError(`Cannot generate a key of ${keyBits} bits: expected an integer of at least ${MIN_KEY_BITS}`);
  }
  for (const [name, rate] of [["noise", noise], ["eve", eve]] as const) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`Cannot generate a key: ${name} must be within 0-1`);
  }
  if (!(keyLengthMultiplier > 0 && keyLengthMultiplier <= 64)) {
    throw new RangeError(`Cannot generate a key: keyLengthMultiplier must be within 0-64, got ${keyLengthMultiplier}`);
  }
  const colluding = request.collusion ?? collusion;
  if (!(Number.isInteger(colluding) && colluding >= 1)) {
    throw new RangeError(`Cannot generate a key: collusion must be a positive integer, got ${colluding}`);
  }
  return colluding;
}

/** The outcome of a session on Alice's side: figures only; the key is in the key stores under `keyId`. */
export interface AliceResult {
  session: string;
  /** Whether Bob confirmed the key (by its tag). */
  ok: boolean;
  /** The id both sides stored the key under. */
  keyId?: string;
  /** The key's fingerprint: keys of at least 128 bits only. */
  fingerprint?: string;
  /** Why the session ended without a key. */
  reason?: string;
  /** Ended by the protocol itself (QBER, failed confirmation, too little material, an untrusted peer). */
  aborted: boolean;
  qber: number;
  rawPositions: number;
  rounds: number;
  siftedBits: number;
  /** Sifted bits reconciled by Cascade (the sifted bits less the QBER samples). */
  reconciledBits: number;
  /** Parity bits Cascade disclosed. */
  leakage: number;
  /** Bits removed for what the `collusion` most exposed workers saw. */
  workerLeakage: number;
  /** Share of the kept bits those workers saw. */
  maxWorkerShare: number;
  collusion: number;
  /** Secret bits the session's material held by the secure-length bound: the key keeps `finalBits` of them. */
  secureBits: number;
  finalBits: number;
  workers: number;
  deadWorkers: string[];
  /** Alice's sifted bits, samples included: only with `keepSifted`. */
  sifted?: Uint8Array;
  steps: Record<string, number>;
  bobSteps: Record<string, number>;
}

/** Alice's settings in force: the options given, and the defaults for the others. */
export type AliceSettings = Required<
  Omit<AliceOptions, keyof SealedMessengerOptions | "onStep" | "keyStore" | "trust" | "discover">
>;

/** The settings of an Alice started with `options`. */
export function aliceSettings(options: AliceOptions): AliceSettings {
  return {
    batchPositions: options.batchPositions ?? 16_384,
    minBatchPositions: options.minBatchPositions ?? 64,
    maxWorkers: options.maxWorkers ?? 60,
    collusion: options.collusion ?? 1,
    batchTimeoutMs: options.batchTimeoutMs ?? 5000,
    maxAttempts: options.maxAttempts ?? 3,
    maxRounds: options.maxRounds ?? 8,
    qberThreshold: options.qberThreshold ?? 0.11,
    keyLengthMultiplier: options.keyLengthMultiplier ?? 2.5,
    reconcileTimeoutMs: options.reconcileTimeoutMs ?? 60_000,
    notifyTimeoutMs: options.notifyTimeoutMs ?? 15_000,
    answerTimeoutMs: options.answerTimeoutMs ?? 30_000,
    keepSifted: options.keepSifted ?? false,
  };
}
