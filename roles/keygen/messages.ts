/**
 * The wire messages of a key exchange, all carried sealed by {@linkcode SealedMessenger}: Alice's role commands to
 * the workers, role data between workers, Alice and Bob, and the session messages between Alice and Bob. Bits,
 * bases and polarizations travel as one byte per position; sifted positions as little-endian 32-bit integers.
 */
import type { SealedPeer } from "./sealed_messenger.ts";
import { decodeRoleData } from "./role_data.ts";

/** The sealed methods of the protocol. */
export const METHOD = {
  /** Alice → worker: run roles on batches (`{ commands: RoleCommand[] }`, a worker's slots of a round). */
  command: "role_command",
  /** Any → any: a role's output for the next node ({@linkcode RoleData}). */
  data: "role_data",
  /** Alice → Bob: a session is announced in the DHT under this id ({@linkcode SessionNotice}). */
  notify: "session_notify",
  /** Alice → Bob: wait for these batches and say which are missing ({@linkcode CollectRequest}). */
  collect: "session_collect",
  /** Alice → Bob: disclose a sample of a round's sifted bits ({@linkcode SampleRequest}). */
  sample: "session_sample",
  /** Alice → Bob: reconcile a round with Cascade ({@linkcode ReconcileRequest}). */
  reconcile: "session_reconcile",
  /** Bob → Alice: parities of blocks of Alice's bits of a round ({@linkcode ParityRequest}). */
  parity: "session_parity",
  /** Alice → Bob: amplify and confirm ({@linkcode ConfirmRequest}). */
  confirm: "session_confirm",
  /** Alice → Bob: the session ended without a key ({@linkcode AbortNotice}). */
  abort: "session_abort",
} as const;

/** The protocol roles a worker executes. */
export type WorkerRole = "qsg" | "bg" | "qpp" | "qpm" | "qpc";

/** The inputs each role waits for, by the name its data arrives under. */
export const ROLE_INPUTS: Readonly<Record<WorkerRole, readonly string[]>> = {
  qsg: [],
  bg: [],
  qpp: ["spins", "bases"],
  qpm: ["polarizations", "bases"],
  qpc: ["aliceBases", "bobBases"],
};

/** Where a role's output goes, and the name it arrives under there. */
export interface Route {
  to: SealedPeer;
  as: string;
}

/**
 * A worker assignment: a role to run on `count` positions of a batch, signed by Alice (the sealed message's
 * signature). `inputs` names, for each input, the identity (hex) of the upstream worker it must come from;
 * `routes` the downstream nodes with their keys.
 */
export interface RoleCommand {
  session: string;
  /** A random 128-bit id (32 hex digits), known only to Alice, Bob and the batch's workers. */
  batch: string;
  role: WorkerRole;
  count: number;
  inputs: Record<string, string>;
  routes: Route[];
  /** The polarizer→meter link (QPP applies it to what it sends). */
  channel?: { noise: number; eve: number };
}

/** One role output. */
export interface RoleData {
  session: string;
  batch: string;
  name: string;
  data: Uint8Array;
}

/** The session announcement Alice stores in the DHT (msgpack bytes) and Bob reads. */
export interface SessionAnnouncement {
  session: string;
  /** Alice's address, sealing key and identity. */
  alice: { host: string; port: number; key: Uint8Array; identity: Uint8Array };
  /** The requested key length and the positions of the first round. */
  keyBits: number;
  positions: number;
  /** How both sides order the sifted bits (step 10). */
  sortingRule: "batch order, then ascending position";
}

/** Every session message between Alice and Bob: its session and its place in the sender's sequence. */
export interface SessionMessage {
  session: string;
  /** Strictly increasing per sender within a session (a replayed or reordered message is dropped). */
  seq: number;
}

/** Alice's notification to Bob (step 11): the announcement itself, so that Bob can check the DHT's copy. */
export interface SessionNotice extends SessionMessage {
  keyBits: number;
  positions: number;
}

/** What Bob receives of a batch, and from whom (identities in hex). */
export interface BatchExpectation {
  id: string;
  count: number;
  /** The workers that send Bob his bases (BG), readings (QPM) and the sifting result (QPC). */
  senders: { bases: string; readings: string; sifted: string };
}

/** Alice asks Bob to wait for batches. */
export interface CollectRequest extends SessionMessage {
  batches: BatchExpectation[];
  timeoutMs: number;
}

/** Bob's answer to a {@linkcode CollectRequest}. */
export interface CollectReply {
  missing: string[];
}

/** A round's sample: Bob builds the round's sifted string from `batches` in order and discloses `size` bits. */
export interface SampleRequest extends SessionMessage {
  round: number;
  batches: string[];
  seed: Uint8Array;
  size: number;
}

/**
 * Reconcile a round's kept bits against Alice's: both sides lay Cascade's passes out from `seed` (16 bytes) and the
 * QBER estimate, so that Bob names each block by (pass, start, end).
 */
export interface ReconcileRequest extends SessionMessage {
  round: number;
  qber: number;
  seed: Uint8Array;
}

/** Bob's parity query: `ranges` holds (pass, start, end) triples as `encodeRanges` bytes; Alice answers one byte each. */
export interface ParityRequest extends SessionMessage {
  round: number;
  ranges: Uint8Array;
}

/**
 * The last message: amplification seed, confirmation nonce and Alice's tag over her reconciled key (before
 * amplification, so that its bits count in the leakage the amplification removes).
 */
export interface ConfirmRequest extends SessionMessage {
  keyBits: number;
  /** Bits the amplification must remove for what the most colluding workers saw. */
  workerLeakage: number;
  seed: Uint8Array;
  nonce: Uint8Array;
  tag: Uint8Array;
}

/** Bob's answer: whether his tag matches, the stored key's id, and his step timings. */
export interface ConfirmReply {
  confirmed: boolean;
  keyId?: string;
  steps: Record<string, number>;
}

/** The session is over without a key. */
export interface AbortNotice extends SessionMessage {
  reason: string;
}

/**
 * Sifted positions of a batch of `count` positions as a bitmap (bit p of byte p/8 set when position p is kept, least
 * significant bit first): count/8 bytes, a sixteenth of four bytes per kept position.
 *
 * @example
 * ```ts
 * import { decodePositions, encodePositions } from "./messages.ts";
 * const bytes = encodePositions(Uint32Array.of(0, 3, 9), 10);
 * console.assert(bytes.length === 2 && decodePositions(bytes, 10).join() === "0,3,9");
 * ```
 */
export function encodePositions(positions: Uint32Array, count: number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(count / 8));
  for (const p of positions) {
    if (p >= count) throw new RangeError(`Cannot encode position ${p} of a batch of ${count}`);
    bytes[p >>> 3]! |= 1 << (p & 7);
  }
  return bytes;
}

/**
 * Sifted positions of a batch of `count` positions from their bitmap, ascending.
 * @throws {RangeError} when the bitmap is not count/8 bytes or sets a bit at or past `count`
 */
export function decodePositions(bytes: Uint8Array, count: number): Uint32Array {
  if (bytes.length !== Math.ceil(count / 8)) {
    throw new RangeError(`Cannot decode sifted positions: ${bytes.length} bytes for ${count} positions`);
  }
  const spare = bytes.length * 8 - count;
  if (spare > 0 && bytes[bytes.length - 1]! >>> (8 - spare) !== 0) {
    throw new RangeError(`Cannot use sifted positions: a position at or past ${count} is set`);
  }
  let kept = 0;
  for (const byte of bytes) kept += POPCOUNT[byte]!;
  const positions = new Uint32Array(kept);
  let next = 0;
  for (let i = 0; i < bytes.length; i++) {
    for (let byte = bytes[i]!; byte !== 0; byte &= byte - 1) {
      positions[next++] = 8 * i + (31 - Math.clz32(byte & -byte));
    }
  }
  return positions;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let bits = 0;
  for (let v = b; v !== 0; v &= v - 1) bits++;
  return bits;
});

/** The fields of a message body as a record. @throws {TypeError} when it is not an object */
export function fields(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new TypeError(`Cannot read ${what}: expected an object`);
  }
  return body as Record<string, unknown>;
}

/** The fields of role data. @throws {TypeError} when they are malformed */
export function parseRoleData(body: unknown): { session: string; batch: string; name: string; data: Uint8Array } {
  const { session, batch, name, data } = fields(body, "role data");
  if (typeof session !== "string" || typeof batch !== "string" || typeof name !== "string") {
    throw new TypeError("Cannot read role data: session, batch and name must be strings");
  }
  if (!(data instanceof Uint8Array)) throw new TypeError("Cannot read role data: data must be bytes");
  return { session, batch, name, data: decodeRoleData(name, data) };
}
