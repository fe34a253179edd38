/**
 * Key delivery on a local cluster in one call: Alice's and Bob's KMEs over their nodes' key stores, and the key pool
 * that keeps Alice's store (the master side, drained by enc_keys) between its watermarks through a key producer.
 * The process that runs Alice and Bob starts it with their stores and a producer that runs their key exchange.
 */
import type { KeyStore } from "../../roles/keystore/mod.ts";
import { KeyPool, type KeyPoolMetrics, type KeyProducer } from "../../roles/kme/mod.ts";
import { LOCAL_KMES, type LocalKme, startLocalKme } from "./local_kmes.ts";

/** Options of {@linkcode startKeyDelivery}. */
export interface KeyDeliveryOptions {
  stateDir: string;
  aliceStore: KeyStore;
  bobStore: KeyStore;
  /** Runs a session that puts its keys into both stores. */
  producer: KeyProducer;
  /** Ports of Alice's and Bob's KMEs (0: any free port). @default {[0, 0]} */
  ports?: [number, number];
  /** @default {"127.0.0.1"} */
  hostname?: string;
  /** Bits of each key. @default {256} */
  keySize?: number;
  /** @default {65_536} */
  lowWatermarkBits?: number;
  /** @default {262_144} */
  highWatermarkBits?: number;
  /** Bits asked of each session. @default {DEFAULT_SESSION_BITS} */
  sessionBits?: number;
  /** Sessions at once. @default {DEFAULT_PARALLEL_SESSIONS} */
  parallel?: number;
  metrics?: KeyPoolMetrics;
}

/** Running KMEs and pool; `await using` stops the pool, then the KMEs. */
export interface KeyDelivery extends AsyncDisposable {
  readonly aliceUrl: string;
  readonly bobUrl: string;
  readonly pool: KeyPool;
}

/** Starts both KMEs and the pool. */
export async function startKeyDelivery(options: KeyDeliveryOptions): Promise<KeyDelivery> {
  const { stateDir, ports = [0, 0], hostname, keySize = 256 } = options;
  await using stack = new AsyncDisposableStack();
  const alice: LocalKme = stack.use(
    await startLocalKme(stateDir, "alice", options.aliceStore, { port: ports[0], hostname, keySize }),
  );
  const bob: LocalKme = stack.use(
    await startLocalKme(stateDir, "bob", options.bobStore, { port: ports[1], hostname, keySize }),
  );
  const pool = stack.use(KeyPool.start({
    pair: `${LOCAL_KMES.alice.sae}/${LOCAL_KMES.bob.sae}`,
    store: options.aliceStore,
    producer: options.producer,
    lowWatermarkBits: options.lowWatermarkBits ?? 65_536,
    highWatermarkBits: options.highWatermarkBits ?? 262_144,
    ...(options.sessionBits ? { sessionBits: options.sessionBits } : {}),
    ...(options.parallel ? { parallel: options.parallel } : {}),
    metrics: options.metrics,
  }));
  const owned = stack.move();
  return {
    aliceUrl: alice.url,
    bobUrl: bob.url,
    pool,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}
