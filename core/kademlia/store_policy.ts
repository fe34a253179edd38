import { equalBytes } from "../bytes.ts";
import { encodeValue } from "../net/mod.ts";
import type { NodeId } from "./node_id.ts";
import { type RecordStore, StorageFullError } from "./records.ts";
import { decodeSignedRecord, isSignedRecord, verifySignedRecord } from "./signed_record.ts";
import type { StoreRefusal } from "./store_refusals.ts";
import type { StoredValue } from "./value.ts";
import { runtime } from "../runtime/mod.ts";

/** Why a signed write was refused. */
export type SignedWriteRefusal = "forged" | "unsigned" | "other-writer" | "stale" | "future";

/**
 * How far ahead of a replica's clock a signed record's timestamp may be. Sequence numbers are at most their
 * record's timestamp, so this also bounds how far a writer can push its own key's sequence number ahead.
 */
export const MAX_SIGNED_CLOCK_SKEW_MS = 300_000;

/**
 * Whether a store of `incoming` under `key` may replace `existing` (what this node holds, if anything): undefined
 * when it may, else why not. A value that claims to be a signed record must verify under its key (which only its
 * writer's records derive); its timestamp must not be ahead of `nowMs` by more than
 * {@linkcode MAX_SIGNED_CLOCK_SKEW_MS} nor its sequence number ahead of its timestamp. A key holding a signed record
 * takes only a record of the same writer with a higher sequence number, or the same record again (a republish).
 * Plain values replace plain values, as on legacy nodes. `existing` was checked when it was stored, so its
 * signature is not verified again.
 */
export function signedWriteRefusal(
  key: NodeId,
  incoming: StoredValue,
  existing: StoredValue | undefined,
  nowMs: number = runtime.now(),
): SignedWriteRefusal | undefined {
  const current = existing === undefined ? undefined : decodeSignedRecord(existing);
  if (!isSignedRecord(incoming)) return current === undefined ? undefined : "unsigned";
  if (existing instanceof Uint8Array && equalBytes(incoming, existing)) return undefined;
  const record = verifySignedRecord(key, incoming);
  if (record === undefined) return "forged";
  if (record.seq > record.timestampMs || record.timestampMs > nowMs + MAX_SIGNED_CLOCK_SKEW_MS) return "future";
  if (current === undefined) return undefined;
  if (!equalBytes(record.writer, current.writer)) return "other-writer";
  return record.seq > current.seq ? undefined : "stale";
}

/**
 * Stores `value` under `key` in `records` for `source` (a sender's address host; none for this node's own writes)
 * unless the value limit, the signed-value rules ({@linkcode signedWriteRefusal}) or a storage limit of the node or
 * of the source refuse it; returns why it was refused, undefined when it was stored. O(value size) plus, when the
 * store is full, O(expired values) to expire them (see {@linkcode RecordStore.put}).
 */
export function storeRefusal(
  records: RecordStore,
  key: NodeId,
  value: StoredValue,
  source: string | undefined,
  limits: { maxValueBytes: number; now: () => number },
): StoreRefusal | undefined {
  if (encodeValue(value).length > limits.maxValueBytes) return "too-large";
  const signed = signedWriteRefusal(key, value, records.get(key), limits.now());
  if (signed !== undefined) return signed;
  try {
    // The quota is the sender's address: ids cost nothing, in plain mode nor (for an insider) in secure mode.
    records.put(key, value, source);
  } catch (error) {
    if (error instanceof StorageFullError) return error.source === undefined ? "storage-full" : "source-quota";
    throw error;
  }
}
