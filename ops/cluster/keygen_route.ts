/**
 * The key-exchange endpoints on the admin API of the process that runs Alice: POST /keygen (the cqkd shape) and
 * POST /generate-key (`{"desired_key_length": n}`), each one key exchange reported with lengths, QBER, the key's
 * id and fingerprint (keys of 128 bits or more), whether Bob confirmed it and step timings; and GET
 * /sessions/:id, the report of a session that Alice or Bob of this process took part in (a read that always needs
 * a token). No report holds key material: keys stay in Alice's and Bob's key stores, except that `showKey` takes
 * the key out of them and hands it to the caller (who then owns it; it is not delivered again).
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { ConflictError, hostPortSchema, NotFoundError, valid } from "../admin/mod.ts";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";
import { parsePeer, type Peer, resolvePeer } from "../../core/net/mod.ts";
import { concatBits, countErrors } from "../../roles/postprocess/mod.ts";
import { type Alice, type AliceResult, type Bob, mergeSteps, MIN_KEY_BITS } from "../../roles/keygen/mod.ts";
import type { KeyStore } from "../../roles/keystore/mod.ts";

const exchange = {
  noise: z.number().min(0).max(1).default(0),
  eve: z.number().min(0).max(1).default(0),
  showKey: z.boolean().default(false),
  /** Colluding workers to protect against. */
  collusion: z.number().int().min(1).max(1000).optional(),
  /** Bob's address, when he runs in another process. */
  bob: hostPortSchema.optional(),
};
const bits = z.number().int().min(MIN_KEY_BITS).max(65_536);
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
  /** Where sessions, QBER and fingerprints shown are recorded. */
  metrics?: CqkdMetrics;
}

/** One side's key as reported: its length and fingerprint; the key itself (hex) only when `showKey` took it. */
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
  /** The id Alice and Bob stored the key under (for key delivery). */
  key_id: string | null;
  /** Bob confirmed the key: his tag over the reconciled bits matched Alice's. */
  confirmed: boolean;
  /** Whether the two keys were seen to be equal (fingerprints compared here); null when Bob runs elsewhere. */
  keys_equal: boolean | null;
  /** How Bob's key was compared: directly (Bob runs in this process), or only by his confirmation. */
  compared: "directly" | "by confirmation";
  alice: KeyReport;
  bob: KeyReport;
  qber: number;
  /** The real disagreement rate of the sifted bits (only a simulation that keeps both sides' bits knows it). */
  true_qber: number | null;
  raw_positions: number;
  rounds: number;
  sifted_bits: number;
  leakage: number;
  /** Colluding workers the session protects against, the share of the key they saw, and the bits removed for it. */
  collusion: number;
  max_worker_share: number;
  worker_leakage: number;
  final_bits: number;
  workers: number;
  dead_workers: string[];
  /** Milliseconds per step, Alice's and Bob's. */
  steps: Record<string, number>;
  total_ms: number;
}

/** The key-exchange sub-app (mounted at "/"). */
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
    const result = await alice.generateKey({
      keyBits: request.bits,
      noise: request.noise,
      eve: request.eve,
      ...(request.collusion ? { collusion: request.collusion } : {}),
      bob,
      signal,
    });
    const report = keygenReport(result, request, localBob, performance.now() - started);
    reports.set(report.session, report);
    if (reports.size > KEPT_REPORTS) reports.delete(reports.keys().next().value!);
    const metrics = parties.metrics;
    metrics?.session(report.ok ? "completed" : result.aborted ? "aborted" : "failed");
    if (result.qber >= 0 && result.qber <= 1) metrics?.qber(result.qber);
    for (const side of [report.alice, report.bob]) if (side.fingerprint !== null) metrics?.fingerprintShown();
    if (!request.showKey || report.key_id === null) return report;
    // The caller asked for the key: it leaves the stores for the caller's terminal, and is not delivered again.
    return {
      ...report,
      alice: { ...report.alice, ...takenKey(alice.keyStore, report.key_id) },
      bob: { ...report.bob, ...(localBob ? takenKey(localBob.keyStore, report.key_id) : {}) },
    };
  };
  return new Hono()
    .post("/keygen", valid("json", keygenBody), async (c) => c.json(await run(c.req.valid("json"), c.req.raw.signal)))
    .post("/generate-key", valid("json", generateKeyBody), async (c) => {
      const { desired_key_length, ...rest } = c.req.valid("json");
      return c.json(await run({ bits: desired_key_length, ...rest }, c.req.raw.signal));
    })
    .get("/sessions/:id", valid("param", sessionParam), (c) => {
      const { id } = c.req.valid("param");
      const report = reports.get(id);
      if (report !== undefined) return c.json({ role: "alice", ...report });
      const session = parties.bob()?.session(id);
      if (session === undefined) throw new NotFoundError(`No session ${id} is kept here`);
      return c.json({
        role: "bob",
        session: id,
        ok: session.keyId !== undefined,
        key_id: session.keyId ?? null,
        ...(session.reason ? { reason: session.reason } : {}),
        bob: { bits: session.keyBits ?? 0, fingerprint: session.fingerprint ?? null },
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

/**
 * The report of a session. With Bob in this process, his key is compared with Alice's through their fingerprints;
 * with Bob elsewhere, the report says only that he confirmed it.
 */
function keygenReport(
  result: AliceResult,
  request: z.infer<typeof keygenBody>,
  localBob: Bob | undefined,
  totalMs: number,
): KeygenReport {
  const { bits, noise, eve } = request;
  const bobSession = localBob?.session(result.session);
  const bobBits = bobSession?.keyBits ?? 0;
  const keysEqual = localBob === undefined ? null : result.ok && bobSession?.keyId === result.keyId &&
    bobBits === result.finalBits &&
    (result.fingerprint === undefined || bobSession?.fingerprint === result.fingerprint);
  const ok = result.ok && keysEqual !== false;
  const bobSifted = concatBits(bobSession?.sifted ?? []);
  return {
    session: result.session,
    ok,
    ...(ok ? {} : { reason: result.reason ?? "Alice's and Bob's keys differ" }),
    requested_bits: bits,
    noise,
    eve,
    key_id: ok ? result.keyId ?? null : null,
    confirmed: result.ok,
    keys_equal: keysEqual,
    compared: localBob ? "directly" : "by confirmation",
    alice: { bits: result.finalBits, fingerprint: result.fingerprint ?? null },
    bob: localBob ? { bits: bobBits, fingerprint: bobSession?.fingerprint ?? null } : { bits: 0, fingerprint: null },
    qber: round(result.qber),
    true_qber: result.sifted && bobSifted.length === result.sifted.length && bobSifted.length > 0
      ? round(countErrors(result.sifted, bobSifted) / bobSifted.length)
      : null,
    raw_positions: result.rawPositions,
    rounds: result.rounds,
    sifted_bits: result.siftedBits,
    leakage: result.leakage,
    collusion: result.collusion,
    max_worker_share: result.maxWorkerShare,
    worker_leakage: result.workerLeakage,
    final_bits: ok ? result.finalBits : 0,
    workers: result.workers,
    dead_workers: result.deadWorkers,
    steps: mergeSteps(result.steps, result.bobSteps),
    total_ms: Math.round(totalMs * 10) / 10,
  };
}

/** The key `id` taken out of `store`, as hex of its packed bytes (nothing when it is not held). */
function takenKey(store: KeyStore, id: string): { key?: string } {
  const key = store.take(id);
  if (key === undefined) return {};
  const hex = Array.from(key.bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  key.bytes.fill(0);
  return { key: hex };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
