/**
 * A {@linkcode KeyProducer} over the key exchange run in one process (roles/postprocess `runSessionLocally`: the
 * quantum rounds, QBER estimation, Cascade, amplification and confirmation). Each session's key is cut into keys of
 * the pair's size, each put under one fresh UUID into Alice's store (Alice's bits) and Bob's (Bob's bits). The
 * networked key exchange plugs in the same way once its sessions end in both nodes' stores.
 */
import type { KeyStore } from "../keystore/mod.ts";
import { packBits, runSessionLocally } from "../postprocess/mod.ts";
import type { KeyProducer, ProductionReport } from "./key_pool.ts";
import { runtime } from "../../core/runtime/mod.ts";

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
      const sessionId = runtime.randomUUID();
      try {
        for (let k = 0; k < keys; k++) {
          const id = runtime.randomUUID();
          const slice = (key: Uint8Array) => packBits(key.subarray(k * keySize, (k + 1) * keySize));
          const storedAt = runtime.now();
          bob.put({ id, sessionId, bytes: slice(result.bobKey), bitLength: keySize, storedAt });
          try {
            alice.put({ id, sessionId, bytes: slice(result.aliceKey), bitLength: keySize, storedAt });
          } catch (error) {
            // A key on one side only could be handed to one SAE and never to its peer.
            bob.erase(id);
            throw error;
          }
        }
      } finally {
        result.aliceKey.fill(0);
        result.bobKey.fill(0);
      }
      return { bits: keys * keySize, qber: result.qber };
    },
  };
}
