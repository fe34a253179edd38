import { equalBytes } from "../bytes.ts";
import type { NodeId } from "./node_id.ts";
import { decodeSignedRecord, isSignedRecord, verifySignedRecord } from "./signed_record.ts";
import type { StoredValue } from "./value.ts";

/** Why a signed write was refused. */
export type SignedWriteRefusal = "forged" | "unsigned" | "other-writer" | "stale";

/**
 * Whether a store of `incoming` under `key` may replace `existing` (what this node holds, if anything): undefined
 * when it may, else why not. A value that claims to be a signed record must verify; a key holding a signed record
 * takes only a record of the same writer with a higher sequence number, or the same record again (a republish).
 * Plain values replace plain values, as on legacy nodes. `existing` was checked when it was stored, so its
 * signature is not verified again.
 */
export function signedWriteRefusal(
  key: NodeId,
  incoming: StoredValue,
  existing: StoredValue | undefined,
): SignedWriteRefusal | undefined {
  const current = existing === undefined ? undefined : decodeSignedRecord(existing);
  if (!isSignedRecord(incoming)) return current === undefined ? undefined : "unsigned";
  if (existing instanceof Uint8Array && equalBytes(incoming, existing)) return undefined;
  const record = verifySignedRecord(key, incoming);
  if (record === undefined) return "forged";
  if (current === undefined) return undefined;
  if (!equalBytes(record.writer, current.writer)) return "other-writer";
  return record.seq > current.seq ? undefined : "stale";
}
