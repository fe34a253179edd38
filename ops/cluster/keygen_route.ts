/**
 * The key-exchange endpoints on the admin API of the process that runs Alice: POST /keygen (the cqkd shape) and
 * POST /generate-key (`{"desired_key_length": n}`), each one key exchange reported with both sides' key
 * fingerprints, whether they agree, the QBER, lengths and step timings; and GET /sessions/:id, a session that Alice
 * or Bob of this process took part in.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { hostPortSchema, valid } from "../admin/mod.ts";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";
import { parsePeer, type Peer, resolvePeer } from "../../core/net/mod.ts";
import { concatBits, countErrors, packBits } from "../../roles/postprocess/mod.ts";
import { type Alice, type AliceResult, type Bob, mergeSteps } from "../../roles/keygen/mod.ts";
import { ConflictError, NotFoundError } from "../admin/mod.ts";

const exchange = {
  noise: z.number().min(0).max(1).default(0),
  eve: z.number().min(0).max(1).default(0),
  showKey: z.boolean().default(false),
  /** Bob's address, when he runs in another process. */
  bob: hostPortSchema.optional(),
};
const bits = z.number().int().min(1).max(65_536);
const keygenBody = z.object({ bits, ...exchange });
const generateKeyBody = z.object({ desired_key_length: bits, ...exchange });
const sessionParam = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, "expected a session id (16 hex digits)") });

/** Reports of Alice's last sessions kept for GET /sessions/:id. */
const KEPT_REPORTS = 64;

/** Who takes part in key exchanges from this process. */
export interface KeygenParties {
  /** Alice, when she runs here and is ready. */
  alice(): Alice | undefined;
  /** Bob, when he runs here and is ready: his key is then compared with Alice's directly. */
  bob(): Bob | undefined;
  /** Bob's address when he runs elsewhere and the request names none (host names are resolved). */
  bobAddress?: string;
  /** Where sessions and QBER are recorded. */
  metrics?: CqkdMetrics;
}

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
  /** How Bob's key was compared: directly (Bob runs in this process), or by his confirmation of its tag. */
  compared: "directly" | "by confirmation";
  alice: KeyReport;
  bob: KeyReport;
  qber: number;
  /** The real disagreement rate of the sifted bits (only a simulation that holds Bob's bits knows it). */
  true_qber: number | null;
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

/** The key-exchange sub-app (mounted at "/"): mutations, so the admin app's access control asks for a write token. */
export function keygenRoutes(parties: KeygenParties) {
  const reports = new Map<string, KeygenReport>();
  const run = async (request: z.infer<typeof keygenBody>, signal: AbortSignal): Promise<KeygenReport> => {
    const alice = parties.alice();
    if (alice === undefined) {
      throw new ConflictError("Cannot generate a key: Alice is not ready here");
    }
    const localBob = parties.bob();
    const bob = localBob?.self ?? await bobPeer(request.bob ?? parties.bobAddress);
    const started = performance.now();
    const result = await alice.generateKey({ keyBits: request.bits, ...request, bob, signal });
    const report = await keygenReport(result, request, localBob, performance.now() - started);
    reports.set(report.session, report);
    if (reports.size > KEPT_REPORTS) reports.delete(reports.keys().next().value!);
    const metrics = parties.metrics;
    metrics?.session(report.ok ? "completed" : result.aborted ? "aborted" : "failed");
    if (result.qber >= 0 && result.qber <= 1) metrics?.qber(result.qber);
    return report;
  };
  return new Hono()
    .post("/keygen", valid("json", keygenBody), async (c) => c.json(await run(c.req.valid("json"), c.req.raw.signal)))
    .post("/generate-key", valid("json", generateKeyBody), async (c) => {
      const { desired_key_length, ...rest } = c.req.valid("json");
      return c.json(await run({ bits: desired_key_length, ...rest }, c.req.raw.signal));
    })
    .get("/sessions/:id", valid("param", sessionParam), async (c) => {
      const { id } = c.req.valid("param");
      const report = reports.get(id);
      if (report !== undefined) return c.json({ role: "alice", ...report });
      const session = parties.bob()?.session(id);
      if (session === undefined) throw new NotFoundError(`No session ${id} is kept here`);
      return c.json({
        role: "bob",
        session: id,
        ok: session.key !== undefined,
        ...(session.reason ? { reason: session.reason } : {}),
        bob: await keyReport(session.key ?? new Uint8Array(), false),
        steps: session.steps.totals(),
      });
    });
}

async function bobPeer(address: string | undefined): Promise<Peer> {
  if (address === undefined || address === "") {
    throw new ConflictError(
      'Cannot generate a key: Bob does not run here; name him with "bob": "host:port" or bob_address',
    );
  }
  try {
    return await resolvePeer(parsePeer(address));
  } catch (error) {
    throw new HTTPException(400, { message: `Cannot reach Bob: ${(error as Error).message}` });
  }
}

/** The report of a session; Bob's side read directly when he runs here, else from his confirmation. */
async function keygenReport(
  result: AliceResult,
  request: z.infer<typeof keygenBody>,
  localBob: Bob | undefined,
  totalMs: number,
): Promise<KeygenReport> {
  const { bits, noise, eve, showKey } = request;
  const bobSession = localBob?.session(result.session);
  const bobKey = localBob ? bobSession?.key ?? new Uint8Array() : result.ok ? result.key : new Uint8Array();
  const bobSifted = concatBits(bobSession?.sifted ?? []);
  // Never two different "successful" keys: a key Bob does not hold identically is no key.
  const keysEqual = result.ok && bobKey.length === result.key.length && countErrors(bobKey, result.key) === 0;
  return {
    session: result.session,
    ok: keysEqual,
    ...(keysEqual ? {} : { reason: result.reason ?? "Alice's and Bob's keys differ" }),
    requested_bits: bits,
    noise,
    eve,
    keys_equal: keysEqual,
    compared: localBob ? "directly" : "by confirmation",
    alice: await keyReport(result.key, showKey),
    bob: localBob ? await keyReport(bobKey, showKey) : { bits: bobKey.length, fingerprint: null },
    qber: round(result.qber),
    true_qber: bobSifted.length === result.sifted.length && bobSifted.length > 0
      ? round(countErrors(result.sifted, bobSifted) / bobSifted.length)
      : null,
    raw_positions: result.rawPositions,
    rounds: result.rounds,
    sifted_bits: result.siftedBits,
    leakage: result.leakage,
    final_bits: keysEqual ? result.finalBits : 0,
    workers: result.workers,
    dead_workers: result.deadWorkers,
    steps: mergeSteps(result.steps, result.bobSteps),
    total_ms: Math.round(totalMs * 10) / 10,
  };
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
