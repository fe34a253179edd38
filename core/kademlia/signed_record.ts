/**
 * Signed DHT values on the wire. A signed record is an ordinary bytes value, so legacy nodes store and forward it
 * unchanged: the msgpack array `["cqkd/sv1", writer: bin32, seq, timestampMs, sealed: bool, payload: bin,
 * signature: bin64]`. The Ed25519 signature covers the DHT key too (`["cqkd/sv1", key: bin20, writer, seq,
 * timestampMs, sealed, payload]`), so a record cannot be replayed under another key.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { equalBytes } from "../bytes.ts";
import { SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES, type SigningIdentity, verifySignature } from "../crypto/mod.ts";
import type { NodeId } from "./node_id.ts";
import type { StoredValue } from "./value.ts";

const TAG = "cqkd/sv1";
const FIELDS = 7;
const encoder = new Encoder();
const decoder = new Decoder({ maxStrLength: 64, maxBinLength: 65536, maxArrayLength: FIELDS, maxMapLength: 0 });
/** Every signed record starts with these bytes: a 7-entry array header and the tag. */
const PREFIX = encoder.encode([TAG, 0, 0, 0, 0, 0, 0]).subarray(0, 2 + TAG.length);

/** What a writer signs, besides the key. */
export interface SignedContent {
  /** Higher than the sequence number of the record it replaces. A non-negative safe integer. */
  readonly seq: number;
  /** When the writer signed it (its clock), in ms since the epoch. */
  readonly timestampMs: number;
  /** Whether the payload is sealed for a set of readers. */
  readonly sealed: boolean;
  /** The msgpack-encoded value, or, when sealed, the value sealed for its readers. */
  readonly payload: Uint8Array;
}

/** A decoded signed record. */
export interface SignedRecord extends SignedContent {
  /** The writer's raw Ed25519 public key. */
  readonly writer: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * The signed record of `content` under `key`, as a DHT value.
 * @throws {RangeError} when the sequence number or timestamp is not a non-negative safe integer
 */
export function signRecord(key: NodeId, content: SignedContent, identity: SigningIdentity): Uint8Array {
  for (const [name, n] of [["sequence number", content.seq], ["timestamp", content.timestampMs]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Cannot sign a record with ${name} ${n}`);
  }
  const signed = { ...content, writer: identity.publicKey };
  const signature = identity.sign(signedBytes(key, signed));
  const { writer, seq, timestampMs, sealed, payload } = signed;
  return encoder.encode([TAG, writer, seq, timestampMs, sealed, payload, signature]);
}

/** Whether a value claims to be a signed record (it starts like one); it may still be forged. */
export function isSignedRecord(value: StoredValue): value is Uint8Array {
  return value instanceof Uint8Array && value.length > PREFIX.length &&
    equalBytes(value.subarray(0, PREFIX.length), PREFIX);
}

/** The fields of a signed record, without checking the signature; undefined for any other value. */
export function decodeSignedRecord(value: StoredValue): SignedRecord | undefined {
  if (!isSignedRecord(value)) return undefined;
  let fields: unknown;
  try {
    fields = decoder.decode(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== FIELDS) return undefined;
  const [, writer, seq, timestampMs, sealed, payload, signature] = fields;
  if (!(writer instanceof Uint8Array) || writer.length !== SIGNING_PUBLIC_KEY_BYTES) return undefined;
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return undefined;
  if (!isCount(seq) || !isCount(timestampMs) || typeof sealed !== "boolean") return undefined;
  if (!(payload instanceof Uint8Array)) return undefined;
  return { writer, seq, timestampMs, sealed, payload, signature };
}

/** The signed record held in `value` when its signature (over `key` too) verifies; else undefined. */
export function verifySignedRecord(key: NodeId, value: StoredValue): SignedRecord | undefined {
  const record = decodeSignedRecord(value);
  if (record === undefined) return undefined;
  return verifySignature(record.writer, signedBytes(key, record), record.signature) ? record : undefined;
}

function signedBytes(key: NodeId, record: SignedContent & { writer: Uint8Array }): Uint8Array {
  const { writer, seq, timestampMs, sealed, payload } = record;
  return encoder.encode([TAG, key.bytes, writer, seq, timestampMs, sealed, payload]);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
