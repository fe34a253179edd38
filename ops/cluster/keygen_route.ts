/**
 * POST /keygen on the control API of the host process that runs Alice and Bob: one key exchange, reported with
 * both sides' key fingerprints, whether they agree, the QBER, lengths and step timings.
 */
import { Hono } from "hono";
import { z } from "zod";
import { valid } from "../admin/mod.ts";
import { concatBits, countErrors, packBits } from "../../roles/postprocess/mod.ts";
import { mergeSteps } from "../../roles/keygen/mod.ts";
import type { Fleet } from "./fleet.ts";

const keygenBody = z.object({
  bits: z.number().int().min(1).max(65_536),
  noise: z.number().min(0).max(1).default(0),
  eve: z.number().min(0).max(1).default(0),
  showKey: z.boolean().default(false),
});

/** One side's key as reported: a fingerprint (SHA-256 of the packed key, 16 hex digits), the key on request. */
export interface KeyReport {
  bits: number;
  fingerprint: string | null;
  key?: string;
}

/** The answer of POST /keygen. */
export interface KeygenReport {
  session: string;
  ok: boolean;
  reason?: string;
  requested_bits: number;
  noise: number;
  eve: number;
  keys_equal: boolean;
  alice: KeyReport;
  bob: KeyReport;
  qber: number;
  /** The real disagreement rate of the sifted bits (only a simulation knows it). */
  true_qber: number;
  raw_positions: number;
  rounds: number;
  sifted_bits: number;
  leakage: number;
  final_bits: number;
  workers: number;
  dead_workers: string[];
  /** Milliseconds per step, Alice's and Bob's. */
  steps: Record<string, number>;
  total_ms: number;
}

/** The /keygen sub-app: a mutation, so the host app's access control asks for a write token. */
export function keygenRoute(fleet: Fleet): Hono {
  const app = new Hono();
  app.post("/", valid("json", keygenBody), async (c) => {
    const { bits, noise, eve, showKey } = c.req.valid("json");
    const alice = fleet.protocol("alice")?.alice;
    const bob = fleet.protocol("bob")?.bob;
    if (alice === undefined || bob === undefined) {
      return c.json({ error: "Cannot generate a key: Alice and Bob are not ready on this host process" }, 409);
    }
    const started = performance.now();
    const result = await alice.generateKey({ keyBits: bits, noise, eve, bob: bob.self, signal: c.req.raw.signal });
    const total = performance.now() - started;
    const bobSession = bob.session(result.session);
    const bobKey = bobSession?.key ?? new Uint8Array();
    const bobSifted = concatBits(bobSession?.sifted ?? []);
    const keysEqual = result.ok && bobKey.length === result.key.length &&
      countErrors(bobKey, result.key) === 0;
    const report: KeygenReport = {
      session: result.session,
      // Never two different "successful" keys: a key Bob does not hold identically is no key.
      ok: keysEqual,
      ...(keysEqual ? {} : { reason: result.reason ?? "Alice's and Bob's keys differ" }),
      requested_bits: bits,
      noise,
      eve,
      keys_equal: keysEqual,
      alice: await keyReport(result.key, showKey),
      bob: await keyReport(bobKey, showKey),
      qber: round(result.qber),
      true_qber: bobSifted.length === result.sifted.length && bobSifted.length > 0
        ? round(countErrors(result.sifted, bobSifted) / bobSifted.length)
        : 0,
      raw_positions: result.rawPositions,
      rounds: result.rounds,
      sifted_bits: result.siftedBits,
      leakage: result.leakage,
      final_bits: keysEqual ? result.finalBits : 0,
      workers: result.workers,
      dead_workers: result.deadWorkers,
      steps: mergeSteps(result.steps, result.bobSteps),
      total_ms: Math.round(total * 10) / 10,
    };
    const metrics = fleet.metrics;
    metrics?.session(keysEqual ? "completed" : result.aborted ? "aborted" : "failed");
    if (result.qber >= 0 && result.qber <= 1) metrics?.qber(result.qber);
    return c.json(report);
  });
  return app;
}

async function keyReport(key: Uint8Array, showKey: boolean): Promise<KeyReport> {
  if (key.length === 0) return { bits: 0, fingerprint: null };
  const packed = packBits(key);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", packed as Uint8Array<ArrayBuffer>));
  return {
    bits: key.length,
    fingerprint: hex(digest.subarray(0, 8)),
    ...(showKey ? { key: hex(packed) } : {}),
  };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
