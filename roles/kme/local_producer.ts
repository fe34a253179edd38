/**
 * A {@linkcode KeyProducer} over the key exchange run in one process (roles/postprocess `runSessionLocally`: the
 * quantum rounds, QBER estimation, Cascade, amplification and confirmation). Each session's key is cut into keys of
 * the pair's size, each put under one fresh UUID into Alice's store (Alice's bits) and Bob's (Bob's bits).
 */
import type { KeyStore } from "../keystore/mod.ts";
import { packBits, runSessionLocally } from "../postprocess/mod.ts";
import type { KeyProducer, ProductionReport } from "./key_pool.ts";
import { runtime } from "../../core/runtime/mod.ts";
import { storeKeySlices } from "./key_slices.ts";

/** Options of {@linkcode localSessionProducer}. */
export interface LocalProducerOptions {
  alice: KeyStore;
  bob: KeyStore;
  /** Bits of each stored key. @default {256} */
  keySize?: number;
  /** Bit-flip probability of the photon link. @default {0} */
  noise?: number;
}

/** A producer that runs whole sessions in-process and stores their keys on both sides. */
export function localSessionProducer(options: LocalProducerOptions): KeyProducer {
  const { alice, bob, keySize = 256, noise = 0 } = options;
  return {
    async produce(bits: number, signal: AbortSignal): Promise<ProductionReport> {
      const keys = Math.max(1, Math.ceil(bits / keySize));
      const result = await runSessionLocally({ keyBits: keys * keySize, noise, signal });
      if (result.aborted !== undefined) throw new Error(result.aborted);
      const pair = { sessionId: runtime.randomUUID(), alice: packBits(result.aliceKey), bob: packBits(result.bobKey) };
      try {
        storeKeySlices({ alice, bob }, pair, keySize, keys);
      } finally {
        for (const key of [result.aliceKey, result.bobKey, pair.alice, pair.bob]) key.fill(0);
      }
      return { bits: keys * keySize, qber: result.qber };
    },
  };
}
