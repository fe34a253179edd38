/**
 * The client side of signed DHT values: writing a value signed by its writer (optionally sealed for a set of
 * readers) and reading one back verified. The records travel as ordinary bytes values (see signed_record.ts);
 * cqkd nodes refuse unsigned, forged, foreign or stale writes to a key that holds one.
 */
import { Decoder } from "@msgpack/msgpack";
import { equalBytes } from "../bytes.ts";
import {
  nodeIdOfPublicKey,
  type NodeKeyPair,
  openAsReader,
  sealForReaders,
  type SigningIdentity,
} from "../crypto/mod.ts";
import { encodeValue } from "../net/mod.ts";
import type { KademliaNode, OperationOptions, SetResult } from "./node.ts";
import { NodeId } from "./node_id.ts";
import { signRecord, verifySignedRecord } from "./signed_record.ts";
import { type DhtValue, isDhtValue, type StoredValue, toDhtValue } from "./value.ts";
import { runtime } from "../runtime/mod.ts";

/** Options of {@linkcode setSigned}. */
export interface SetSignedOptions extends OperationOptions {
  /**
   * Sequence number; must be higher than that of the record it replaces. @default the current time in ms, so a
   * writer's later writes win without a counter (give it explicitly for two writes within one millisecond)
   */
  seq?: number;
  /**
   * Raw X25519 public keys of the readers: the value is sealed so that only they can read it (anyone can still see
   * who wrote it and its sequence number). @default none: the value is readable by anyone
   */
  readers?: readonly Uint8Array[];
}

/** The outcome of {@linkcode setSigned}. */
export interface SignedSetResult extends SetResult {
  seq: number;
}

/** Options of {@linkcode getSigned}. */
export interface GetSignedOptions extends OperationOptions {
  /** Accept only records signed by this raw Ed25519 public key. @default any writer */
  writer?: Uint8Array;
  /** The key pair that opens values sealed for readers. */
  reader?: NodeKeyPair;
}

/** A verified signed value. */
export interface SignedValue {
  value: DhtValue;
  /** The writer's raw Ed25519 public key. */
  writer: Uint8Array;
  /** The id the writer's key owns (its node id in secure mode). */
  writerId: NodeId;
  seq: number;
  /** When the writer signed it, by its clock. */
  timestampMs: number;
  /** Whether it was sealed for a set of readers. */
  sealed: boolean;
}

/** Raised by {@linkcode getSigned} for a value sealed for readers that the caller is not one of. */
export class UnreadableValueError extends Error {
  override name = "UnreadableValueError";
  constructor(readonly key: NodeId, readonly writer: Uint8Array, detail: string, options?: ErrorOptions) {
    super(`Cannot read the value of key ${key.hex}: ${detail}`, options);
  }
}

const decoder = new Decoder({ useBigInt64: true, maxStrLength: 65536, maxBinLength: 65536 });

/**
 * Stores `value` under `key` signed by `identity`, as {@linkcode KademliaNode.set} does (k closest nodes,
 * republished by this node). Once stored, the key takes only records of the same writer with a higher `seq`.
 *
 * @throws {InvalidValueError} for a value of the wrong type, or too large once signed (and sealed)
 * @throws {RangeError} for a bad sequence number or reader count
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SigningIdentity } from "../crypto/mod.ts";
 * import { getSigned, KademliaNode, setSigned } from "./mod.ts";
 * await using first = KademliaNode.start();
 * await using second = KademliaNode.start();
 * await second.bootstrap([first.address]);
 * const writer = SigningIdentity.generate();
 * await setSigned(first, "config", "v1", writer, { seq: 1 });
 * const read = await getSigned(second, "config", { writer: writer.publicKey });
 * assert.equal(read?.value, "v1");
 * assert.equal(read?.seq, 1);
 * ```
 */
export async function setSigned(
  node: KademliaNode,
  key: string | NodeId,
  value: unknown,
  identity: SigningIdentity,
  options: SetSignedOptions = {},
): Promise<SignedSetResult> {
  const { seq: givenSeq, readers, ...rest } = options;
  const dkey = typeof key === "string" ? await NodeId.digest(key) : key;
  const timestampMs = runtime.now();
  const seq = givenSeq ?? timestampMs;
  const encoded = encodeValue(toDhtValue(value));
  const sealed = readers !== undefined;
  const payload = sealed ? await sealForReaders(encoded, readers, { associatedData: dkey.bytes }) : encoded;
  const record = signRecord(dkey, { seq, timestampMs, sealed, payload }, identity);
  return { ...await node.set(dkey, record, rest), seq };
}

/**
 * The signed value under `key`, verified: records that fail verification (or are by another writer than
 * `options.writer`) are passed over as if absent. The first valid record found is returned; a replica that missed
 * the latest write may answer with an older one.
 *
 * @returns undefined when no valid record is found
 * @throws {UnreadableValueError} when the record is sealed for readers and `options.reader` is not one of them
 */
export async function getSigned(
  node: KademliaNode,
  key: string | NodeId,
  options: GetSignedOptions = {},
): Promise<SignedValue | undefined> {
  const { writer, reader, ...rest } = options;
  const dkey = typeof key === "string" ? await NodeId.digest(key) : key;
  const valid = (value: StoredValue) => {
    const record = verifySignedRecord(dkey, value);
    return record !== undefined && (writer === undefined || equalBytes(record.writer, writer)) ? record : undefined;
  };
  const found = await node.get(dkey, { ...rest, accept: (value) => valid(value) !== undefined });
  const record = found === undefined ? undefined : valid(found);
  if (record === undefined) return undefined;
  const { seq, timestampMs, sealed } = record;
  const encoded = sealed ? await open(dkey, record.writer, record.payload, reader) : record.payload;
  let value: unknown;
  try {
    value = decoder.decode(encoded);
  } catch {
    value = undefined;
  }
  // A writer signed it, so a payload that is not a value is the writer's doing: treat the record as absent.
  if (!isDhtValue(value)) return undefined;
  return { value, writer: record.writer, writerId: nodeIdOfPublicKey(record.writer), seq, timestampMs, sealed };
}

async function open(
  key: NodeId,
  writer: Uint8Array,
  payload: Uint8Array,
  reader: NodeKeyPair | undefined,
): Promise<Uint8Array> {
  if (reader === undefined) {
    throw new UnreadableValueError(key, writer, "it is sealed for readers and no reader key pair was given");
  }
  try {
    return await openAsReader(payload, reader, { associatedData: key.bytes });
  } catch (error) {
    throw new UnreadableValueError(key, writer, "it is sealed for readers and this key pair is not one of them", {
      cause: error,
    });
  }
}
