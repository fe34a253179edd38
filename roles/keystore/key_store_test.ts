import assert from "node:assert/strict";
import { DuplicateKeyError, KeyStore, KeyStoreFullError, type StoredKey } from "./key_store.ts";

function key(id: string, bitLength = 256): StoredKey {
  return { id, sessionId: "s", bytes: new Uint8Array(Math.ceil(bitLength / 8)).fill(0xab), bitLength, storedAt: 0 };
}

Deno.test("KeyStore hands each key out once, oldest first in ids()", () => {
  const store = new KeyStore();
  store.put(key("a"));
  store.put(key("b", 128));
  assert.deepEqual(store.ids(), ["a", "b"]);
  assert.equal(store.bits, 384);
  assert.equal(store.take("a")?.bitLength, 256);
  assert.equal(store.take("a"), undefined);
  assert.equal(store.bits, 128);
});

Deno.test("KeyStore refuses duplicates, bad lengths and puts beyond its capacity", () => {
  const store = new KeyStore({ maxBits: 300 });
  store.put(key("a"));
  assert.throws(() => store.put(key("a")), DuplicateKeyError);
  assert.throws(() => store.put(key("b", 64)), KeyStoreFullError);
  assert.throws(() => store.put({ ...key("c"), bitLength: 257 }), RangeError);
  assert.equal(store.size, 1);
});

Deno.test("KeyStore.erase zeroes the key's bytes and notifies subscribers", () => {
  const store = new KeyStore();
  const stored = key("a");
  const seen: number[] = [];
  store.subscribe(({ bits }) => seen.push(bits));
  store.put(stored);
  assert.ok(store.erase("a"));
  assert.ok(stored.bytes.every((byte) => byte === 0));
  assert.deepEqual(seen, [256, 0]);
});
