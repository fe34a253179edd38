/**
 * Key delivery in the host process that runs Alice and Bob: POST /kme/start starts both KMEs over Alice's and Bob's
 * key stores with a key pool refilled by networked sessions (`cqkd startup` calls it once Alice and Bob are ready),
 * and GET /kme/stats reports the pool and what its sessions did (lengths, QBER, disclosed parities, step times: no
 * key material). The process stops it before its nodes.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ConflictError, NotFoundError, valid } from "../admin/mod.ts";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";
import { type Alice, type AliceResult, type Bob, mergeSteps } from "../../roles/keygen/mod.ts";
import { DEFAULT_PARALLEL_SESSIONS, DEFAULT_SESSION_BITS, networkSessionProducer } from "../../roles/kme/mod.ts";
import { type KeyDelivery, startKeyDelivery } from "../kme/key_delivery.ts";

const startBody = z.object({
  noise: z.number().min(0).max(0.5).default(0),
  keySize: z.number().int().min(8).max(65_536).multipleOf(8).default(256),
  sessionBits: z.number().int().min(64).max(65_536).default(DEFAULT_SESSION_BITS),
  parallel: z.number().int().min(1).max(64).default(DEFAULT_PARALLEL_SESSIONS),
  lowWatermarkBits: z.number().int().min(0).default(65_536),
  highWatermarkBits: z.number().int().min(1).default(262_144),
}).refine((b) => b.highWatermarkBits > b.lowWatermarkBits, "highWatermarkBits must exceed lowWatermarkBits");

/** What the sessions of the pool did, summed (no key material). */
export interface SessionTotals {
  sessions: number;
  failed: number;
  siftedBits: number;
  reconciledBits: number;
  /** Parity bits disclosed by Cascade. */
  leakage: number;
  /** Σ qber · reconciled bits, for the mean QBER weighted by bits. */
  qberBits: number;
  secretBits: number;
  rawPositions: number;
  /** Milliseconds per step summed over sessions: Alice's (her session's whole time) and Bob's. */
  aliceSteps: Record<string, number>;
  bobSteps: Record<string, number>;
  /** Last reasons of failed sessions (at most 5). */
  reasons: string[];
}

/** Options of {@linkcode KeyDeliveryHost}. */
export interface KeyDeliveryHostOptions {
  stateDir: string;
  alice: () => Alice | undefined;
  bob: () => Bob | undefined;
  metrics?: CqkdMetrics;
}

/** The key delivery of one host process: at most one, started on request, stopped with the process. */
export class KeyDeliveryHost implements AsyncDisposable {
  readonly #options: KeyDeliveryHostOptions;
  #delivery?: Promise<KeyDelivery>;
  /** When the pool started and the most bits it holds: the console's key rate and fill. */
  #pool?: { startedMs: number; capacityBits: number };
  readonly #totals: SessionTotals = {
    sessions: 0,
    failed: 0,
    siftedBits: 0,
    reconciledBits: 0,
    leakage: 0,
    qberBits: 0,
    secretBits: 0,
    rawPositions: 0,
    aliceSteps: {},
    bobSteps: {},
    reasons: [],
  };

  constructor(options: KeyDeliveryHostOptions) {
    this.#options = options;
  }

  /** Starts the KMEs and the pool (once; later calls get the running ones). @throws {ConflictError} without Alice and Bob */
  start(request: z.infer<typeof startBody>): Promise<KeyDelivery> {
    if (this.#options.alice() === undefined || this.#options.bob() === undefined) {
      throw new ConflictError("Cannot start key delivery: Alice and Bob are not both ready in this process");
    }
    this.#delivery ??= startKeyDelivery({
      stateDir: this.#options.stateDir,
      aliceStore: this.#options.alice()!.keyStore,
      bobStore: this.#options.bob()!.keyStore,
      producer: networkSessionProducer({
        alice: this.#options.alice,
        bob: this.#options.bob,
        keySize: request.keySize,
        noise: request.noise,
        onSession: (result) => this.#record(result),
      }),
      keySize: request.keySize,
      sessionBits: request.sessionBits,
      parallel: request.parallel,
      lowWatermarkBits: request.lowWatermarkBits,
      highWatermarkBits: request.highWatermarkBits,
      ...(this.#options.metrics ? { metrics: this.#options.metrics } : {}),
    });
    this.#pool ??= { startedMs: Date.now(), capacityBits: request.highWatermarkBits };
    this.#delivery.catch(() => {
      this.#delivery = undefined;
      this.#pool = undefined;
    });
    return this.#delivery;
  }

  /** The pool's state and the sessions' totals, or undefined before a start. */
  async stats(): Promise<{ pool: unknown; sessions: SessionTotals } | undefined> {
    const delivery = await this.#delivery;
    if (delivery === undefined) return undefined;
    const pool = { ...delivery.pool.stats, bits: this.#options.alice()?.keyStore.bits ?? 0 };
    return { pool, sessions: structuredClone(this.#totals) };
  }

  /** The key pool as the web console shows it (bits held by Alice, its capacity, the secret key rate so far). */
  async pool(): Promise<{ fill_bits: number; capacity_bits: number; rate_bps: number } | undefined> {
    const delivery = await this.#delivery;
    if (delivery === undefined || this.#pool === undefined) return undefined;
    const elapsedS = Math.max((Date.now() - this.#pool.startedMs) / 1000, 1e-3);
    return {
      fill_bits: this.#options.alice()?.keyStore.bits ?? 0,
      capacity_bits: this.#pool.capacityBits,
      rate_bps: Math.round(delivery.pool.stats.producedBits / elapsedS),
    };
  }

  #record(result: AliceResult): void {
    const t = this.#totals;
    t.sessions++;
    if (!result.ok) {
      t.failed++;
      t.reasons = [...t.reasons, result.reason ?? "unknown"].slice(-5);
      return;
    }
    t.siftedBits += result.siftedBits;
    t.reconciledBits += result.reconciledBits;
    t.leakage += result.leakage;
    t.qberBits += result.qber * result.reconciledBits;
    t.secretBits += result.finalBits;
    t.rawPositions += result.rawPositions;
    t.aliceSteps = mergeSteps(t.aliceSteps, result.steps);
    t.bobSteps = mergeSteps(t.bobSteps, result.bobSteps);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const delivery = await this.#delivery?.catch(() => undefined);
    this.#delivery = undefined;
    await delivery?.[Symbol.asyncDispose]();
  }
}

/** POST /kme/start, GET /kme/stats and the console's GET /keys/pool over `host`. */
export function keyDeliveryRoutes(host: KeyDeliveryHost) {
  return new Hono()
    .post("/kme/start", valid("json", startBody), async (c) => {
      const delivery = await host.start(c.req.valid("json"));
      return c.json({ alice: delivery.aliceUrl, bob: delivery.bobUrl });
    })
    .get("/kme/stats", async (c) => {
      const stats = await host.stats();
      if (stats === undefined) throw new ConflictError("Key delivery has not been started in this process");
      return c.json(stats);
    })
    .get("/keys/pool", async (c) => {
      const pool = await host.pool();
      if (pool === undefined) throw new NotFoundError("Key delivery has not been started in this process");
      return c.json(pool);
    });
}
