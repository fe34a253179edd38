/**
 * The client side of signed DHT values: writing a value signed by its writer (optionally sealed for a set of
 * readers) and reading one back verified. The records travel as ordinary bytes values under keys derived from the
 * writer's key and the value's name (see signed_record.ts); cqkd nodes refuse unsigned, forged, foreign, stale or
 * future-dated writes to such a key.
 */
import { Decoder } from "@msgpack/msgpack";
import {
  nodeIdOfPublicKey,
  type NodeKeyPair,
  openAsReader,
  sealForReaders,
  type SigningIdentity,
} from "../crypto/mod.ts";
import { encodeValue } from "../net/mod.ts";
import type { Contact } from "./contact.ts";
import type { KademliaNode, OperationOptions, SetResult } from "./node.ts";
import type { NodeId } from "./node_id.ts";
import { decodeSignedRecord, signedKey, type SignedRecord, signRecord, verifySignedRecord } from "./signed_record.ts";
import { parseFindValueAnswer } from "./wire_types.ts";
import { type DhtValue, isDhtValue, type StoredValue, toDhtValue } from "./value.ts";
import { runtime } from "../runtime/mod.ts";

/** Options of {@linkcode setSigned}. */
export interface SetSignedOptions extends OperationOptions {
  /**
   * Sequence number; must be higher than that of the record it replaces, and at most the signing time in ms.
   * @default the current time in ms, so a writer's later writes win without a counter
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
  /** Replicas that answered the read, and how many of them held an older record or none (they were repaired). */
  answered: number;
  repaired: number;
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
 * Stores `value` as the signed value `name` of `identity`, as {@linkcode KademliaNode.set} does (k closest nodes,
 * republished by this node), under the key {@linkcode signedKey} derives from the writer's key and the name: no
 * other writer can store there. The key then takes only records with a higher `seq`.
 *
 * @throws {InvalidValueError} for a value of the wrong type, or too large once signed (and sealed)
 * @throws {RangeError} for a bad sequence number (above the current time) or reader count
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
 * const read = await getSigned(second, "config", writer.publicKey);
 * assert.equal(read?.value, "v1");
 * assert.equal(read?.seq, 1);
 * ```
 */
export async function setSigned(
  node: KademliaNode,
  name: string | Uint8Array,
  value: unknown,
  identity: SigningIdentity,
  options: SetSignedOptions = {},
): Promise<SignedSetResult> {
  const { seq: givenSeq, readers, ...rest } = options;
  const dkey = signedKey(identity.publicKey, name);
  const timestampMs = runtime.now();
  const seq = givenSeq ?? timestampMs;
  const encoded = encodeValue(toDhtValue(value));
  const sealed = readers !== undefined;
  const payload = sealed ? await sealForReaders(encoded, readers, { associatedData: dkey.bytes }) : encoded;
  const record = signRecord(name, { seq, timestampMs, sealed, payload }, identity);
  return { ...await node.set(dkey, record, rest), seq };
}

/**
 * The signed value `name` of `writer` (a raw Ed25519 public key), verified. The read asks every one of the k
 * closest nodes to the key (and this node) and keeps the valid record with the highest `seq`, so a replica that
 * missed a write, or took a replayed older record after losing its copy, does not decide the answer; the replicas
 * that answered with an older record or none are sent the newest (read repair).
 *
 * @returns undefined when no valid record is found
 * @throws {UnreadableValueError} when the record is sealed for readers and `options.reader` is not one of them
 */
export async function getSigned(
  node: KademliaNode,
  name: string | Uint8Array,
  writer: Uint8Array,
  options: GetSignedOptions = {},
): Promise<SignedValue | undefined> {
  const { reader, ...rest } = options;
  const dkey = signedKey(writer, name);
  const answers = await readReplicas(node, dkey, rest);
  let best: { value: StoredValue; record: SignedRecord } | undefined;
  for (const { value } of answers) {
    const record = value === undefined ? undefined : verifySignedRecord(dkey, value);
    if (record !== undefined && (best === undefined || record.seq > best.record.seq)) best = { value: value!, record };
  }
  if (best === undefined) return undefined;
  const behind = answers.filter(({ value }) =>
    (value === undefined ? undefined : decodeSignedRecord(value))?.seq !== best.record.seq
  );
  await Promise.allSettled(
    behind.map(({ contact }) =>
      contact === undefined
        ? Promise.resolve(node.records.put(dkey, best.value))
        : node.request(contact, "store", [node.id.bytes, dkey.bytes, best.value], rest)
    ),
  );
  const { seq, timestampMs, sealed } = best.record;
  const encoded = sealed ? await open(dkey, writer, best.record.payload, reader) : best.record.payload;
  let value: unknown;
  try {
    value = decoder.decode(encoded);
  } catch {
    value = undefined;
  }
  // A writer signed it, so a payload that is not a value is the writer's doing: treat the record as absent.
  if (!isDhtValue(value)) return undefined;
  return {
    value,
    writer,
    writerId: nodeIdOfPublicKey(writer),
    seq,
    timestampMs,
    sealed,
    answered: answers.length,
    repaired: behind.length,
  };
}

/** What this node (contact undefined) and each of the k closest nodes that answered hold under `key`. */
async function readReplicas(
  node: KademliaNode,
  key: NodeId,
  options: OperationOptions,
): Promise<{ contact?: Contact; value: StoredValue | undefined }[]> {
  const closest = await node.findNode(key, options);
  const asked = await Promise.allSettled(closest.map(async (contact) => {
    const answer = parseFindValueAnswer(
      await node.request(contact, "find_value", [node.id.bytes, key.bytes], options),
    );
    return { contact, value: "value" in answer ? answer.value : undefined };
  }));
  const local = node.records.get(key);
  return [
    ...(local === undefined ? [] : [{ value: local }]),
    ...asked.flatMap((a) => a.status === "fulfilled" ? [a.value] : []),
  ];
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
