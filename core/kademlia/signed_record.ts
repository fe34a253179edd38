/**
 * Signed DHT values on the wire. A signed record is an ordinary bytes value, so legacy nodes store and forward it
 * unchanged: the msgpack array `["cqkd/sv2", writer: bin32, name: bin20, seq, timestampMs, sealed: bool,
 * payload: bin, signature: bin64]`. Its DHT key is derived from the writer's key and the name
 * ({@linkcode signedKey}), so a key belongs to one writer from its first store: nobody else can squat it. The
 * Ed25519 signature covers the key too (`["cqkd/sv2", key: bin20, writer, name, seq, timestampMs, sealed,
 * payload]`), so a record cannot be replayed under another key.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { Decoder, Encoder } from "@msgpack/msgpack";
import { equalBytes } from "../bytes.ts";
import { SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES, type SigningIdentity, verifySignature } from "../crypto/mod.ts";
import { NodeId } from "./node_id.ts";
import type { StoredValue } from "./value.ts";

const TAG = "cqkd/sv2";
const FIELDS = 8;
/** Bytes of a name digest (SHA-1, as DHT keys). */
export const NAME_DIGEST_BYTES = 20;
const encoder = new Encoder();
const decoder = new Decoder({ maxStrLength: 64, maxBinLength: 65536, maxArrayLength: FIELDS, maxMapLength: 0 });
/** Every signed record starts with these bytes: an 8-entry array header and the tag. */
const PREFIX = encoder.encode([TAG, 0, 0, 0, 0, 0, 0, 0]).subarray(0, 2 + TAG.length);

/** What a writer signs, besides the key. */
export interface SignedContent {
  /**
   * Higher than the sequence number of the record it replaces, and at most {@linkcode timestampMs}: a writer
   * cannot take a sequence number from the future and lock its key against its own later writes.
   */
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
  /** The SHA-1 digest of the value's name (see {@linkcode nameDigest}). */
  readonly name: Uint8Array;
  readonly signature: Uint8Array;
}

/** The 20-byte digest of a signed value's name. */
export function nameDigest(name: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(typeof name === "string" ? Buffer.from(name) : name).digest());
}

/**
 * The DHT key of the signed value `name` of `writer` (a raw Ed25519 public key): SHA-1 over the tag, the writer's
 * key and the name's digest. Replicas check it, so each writer has a key space of its own.
 */
export function signedKey(writer: Uint8Array, name: string | Uint8Array): NodeId {
  return keyOf(writer, nameDigest(name));
}

function keyOf(writer: Uint8Array, digest: Uint8Array): NodeId {
  return NodeId.fromBytes(new Uint8Array(createHash("sha1").update(TAG).update(writer).update(digest).digest()));
}

/**
 * The signed record of `content` for the value `name` of `identity`, stored under {@linkcode signedKey}.
 * @throws {RangeError} when the sequence number or timestamp is not a non-negative safe integer, or the sequence
 * number is above the timestamp
 */
export function signRecord(name: string | Uint8Array, content: SignedContent, identity: SigningIdentity): Uint8Array {
  for (const [what, n] of [["sequence number", content.seq], ["timestamp", content.timestampMs]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Cannot sign a record with ${what} ${n}`);
  }
  if (content.seq > content.timestampMs) {
    throw new RangeError(
      `Cannot sign a record with sequence number ${content.seq}: it is above its timestamp ${content.timestampMs}`,
    );
  }
  const digest = nameDigest(name);
  const signed = { ...content, writer: identity.publicKey, name: digest };
  const signature = identity.sign(signedBytes(keyOf(identity.publicKey, digest), signed));
  const { writer, seq, timestampMs, sealed, payload } = signed;
  return encoder.encode([TAG, writer, digest, seq, timestampMs, sealed, payload, signature]);
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
  const [, writer, name, seq, timestampMs, sealed, payload, signature] = fields;
  if (!(writer instanceof Uint8Array) || writer.length !== SIGNING_PUBLIC_KEY_BYTES) return undefined;
  if (!(name instanceof Uint8Array) || name.length !== NAME_DIGEST_BYTES) return undefined;
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return undefined;
  if (!isCount(seq) || !isCount(timestampMs) || typeof sealed !== "boolean") return undefined;
  if (!(payload instanceof Uint8Array)) return undefined;
  return { writer, name, seq, timestampMs, sealed, payload, signature };
}

/**
 * The signed record held in `value` when it belongs under `key` (the key its writer and name derive) and its
 * signature verifies; else undefined.
 */
export function verifySignedRecord(key: NodeId, value: StoredValue): SignedRecord | undefined {
  const record = decodeSignedRecord(value);
  if (record === undefined || !keyOf(record.writer, record.name).equals(key)) return undefined;
  return verifySignature(record.writer, signedBytes(key, record), record.signature) ? record : undefined;
}

function signedBytes(key: NodeId, record: SignedContent & { writer: Uint8Array; name: Uint8Array }): Uint8Array {
  const { writer, name, seq, timestampMs, sealed, payload } = record;
  return encoder.encode([TAG, key.bytes, writer, name, seq, timestampMs, sealed, payload]);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
