/**
 * A {@linkcode KeyProducer} over the networked key exchange, for a process that runs both Alice and Bob (the local
 * cluster's alice-bob host): each session is a real BB84 session over the workers of the DHT; its confirmed key,
 * which Alice and Bob stored under one id, is taken out of both stores and cut into keys of the pair's size
 * ({@linkcode storeKeySlices}). Several sessions at once each discover a worker set of their own; each sizes its
 * first round from the yield of the last session, so that one round usually gives the key.
 */
import type { Alice, AliceResult, Bob } from "../keygen/mod.ts";
import type { KeyProducer, ProductionReport } from "./key_pool.ts";
import { storeKeySlices } from "./key_slices.ts";

/** Options of {@linkcode networkSessionProducer}. */
export interface NetworkProducerOptions {
  /** Alice, when she is ready. */
  alice: () => Alice | undefined;
  /** Bob, when he is ready (in this process: his store is the slave side). */
  bob: () => Bob | undefined;
  /** Bits of each stored key. @default {256} */
  keySize?: number;
  /** Bit-flip probability of the simulated photon link. @default {0} */
  noise?: number;
  /** Called with the report of every session, whether it gave a key or not. */
  onSession?: (result: AliceResult) => void;
}

/** A producer that runs networked sessions between Alice and Bob of this process. */
export function networkSessionProducer(options: NetworkProducerOptions): KeyProducer {
  const { keySize = 256, noise = 0 } = options;
  // Raw positions per secret bit that the last session's material held: the next one asks for as many (10 % more) in
  // its first round, so that one round usually suffices (the link's yield, set by its noise, changes slowly). Per
  // secret bit held, not per key bit kept: the positions a session spent include its own headroom, and learning from
  // them made every session ask 10 % more than the last.
  let positionsPerBit: number | undefined;
  return {
    async produce(bits: number, signal: AbortSignal): Promise<ProductionReport> {
      const alice = options.alice();
      const bob = options.bob();
      if (alice === undefined || bob === undefined) throw new Error("Cannot run a session: Alice or Bob is not ready");
      const keys = Math.max(1, Math.ceil(bits / keySize));
      const keyBits = keys * keySize;
      const keyLengthMultiplier = positionsPerBit === undefined ? undefined : Math.min(64, 1.1 * positionsPerBit);
      const result = await alice.generateKey({
        keyBits,
        noise,
        bob: bob.self,
        signal,
        ...(keyLengthMultiplier ? { keyLengthMultiplier } : {}),
      });
      options.onSession?.(result);
      if (result.ok && result.secureBits >= keyBits) positionsPerBit = result.rawPositions / result.secureBits;
      if (!result.ok || result.keyId === undefined) throw new Error(result.reason ?? "the session gave no key");
      const aliceKey = alice.keyStore.take(result.keyId);
      const bobKey = bob.keyStore.take(result.keyId);
      try {
        if (aliceKey === undefined || bobKey === undefined) {
          throw new Error(`Cannot find the key of session ${result.session} in both stores`);
        }
        const pair = { sessionId: result.session, alice: aliceKey.bytes, bob: bobKey.bytes };
        storeKeySlices({ alice: alice.keyStore, bob: bob.keyStore }, pair, keySize, keys);
      } finally {
        aliceKey?.bytes.fill(0);
        bobKey?.bytes.fill(0);
      }
      return { bits: keys * keySize, qber: result.qber };
    },
  };
}
