/**
 * Cuts one session's key, as Alice and Bob each hold it, into keys of the SAE pair's size and stores each under one
 * fresh UUID on both sides: each key on both sides or on neither (a key held by one side only could reach one SAE and
 * never its peer).
 */
import type { KeyStore } from "../keystore/mod.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** One session's key on both sides, packed (first bit in the most significant place of byte 0). */
export interface SessionKeyPair {
  sessionId: string;
  alice: Uint8Array;
  bob: Uint8Array;
}

/**
 * Stores `count` keys of `keySize` bits cut from the front of the pair's keys; returns the bits stored.
 * @throws {RangeError} when `keySize` is not a positive multiple of 8 or the keys are too short
 */
export function storeKeySlices(
  stores: { alice: KeyStore; bob: KeyStore },
  pair: SessionKeyPair,
  keySize: number,
  count: number,
): number {
  if (!(Number.isInteger(keySize) && keySize > 0 && keySize % 8 === 0)) {
    throw new RangeError(`Cannot cut keys of ${keySize} bits: expected a positive multiple of 8`);
  }
  const bytes = keySize / 8;
  if (pair.alice.length < count * bytes || pair.bob.length < count * bytes) {
    throw new RangeError(`Cannot cut ${count} keys of ${keySize} bits from a shorter session key`);
  }
  const storedAt = runtime.now();
  for (let k = 0; k < count; k++) {
    const id = runtime.randomUUID();
    const slice = (key: Uint8Array) => key.slice(k * bytes, (k + 1) * bytes);
    stores.bob.put({ id, sessionId: pair.sessionId, bytes: slice(pair.bob), bitLength: keySize, storedAt });
    try {
      stores.alice.put({ id, sessionId: pair.sessionId, bytes: slice(pair.alice), bitLength: keySize, storedAt });
    } catch (error) {
      stores.bob.erase(id);
      throw error;
    }
  }
  return count * keySize;
}
