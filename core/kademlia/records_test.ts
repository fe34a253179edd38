import assert from "node:assert/strict";
import { NodeId } from "./node_id.ts";
import { RecordStore, StorageFullError } from "./records.ts";

const key = (n: number) => NodeId.fromValue(BigInt(n));

function store(options: { ttlS?: number; maxRecords?: number; maxBytes?: number } = {}) {
  const clock = { ms: 1_000_000 };
  const records = new RecordStore({ ...options, now: () => clock.ms });
  return { clock, records };
}

Deno.test("RecordStore.put() stores and refreshes values", () => {
  const { clock, records } = store();
  const bytes = new Uint8Array([1, 2]);
  records.put(key(1), "world");
  records.put(key(2), bytes);
  assert.equal(records.get(key(1)), "world");
  assert.equal(records.get(key(2)), bytes);
  assert.equal(records.get(key(3)), undefined);
  clock.ms += 5;
  const refreshed = records.put(key(1), 42);
  assert.deepEqual(refreshed, { key: key(1), value: 42, storedAtMs: 1_000_005, sizeBytes: 1 });
  assert.equal(records.get(key(1)), 42);
  assert.equal(records.size, 2);
});

Deno.test("RecordStore forgets a value once its TTL since the last store has passed", () => {
  const { clock, records } = store({ ttlS: 10 });
  records.put(key(1), "a");
  records.put(key(2), "b");
  clock.ms += 5000;
  records.put(key(2), "b"); // refreshed: lives 5 s longer
  clock.ms += 4999;
  assert.equal(records.get(key(1)), "a");
  assert.equal(records.records().length, 2);
  clock.ms += 1;
  assert.equal(records.get(key(1)), undefined, "expired at exactly the TTL");
  assert.deepEqual(records.records().map((r) => r.key), [key(2)]);
  clock.ms += 5000;
  assert.equal(records.size, 1, "get() dropped key 1, key 2 waits for expire()");
  assert.equal(records.expire(), 1);
  assert.equal(records.size, 0);
  assert.equal(records.expire(), 0);
});

Deno.test("RecordStore has a default TTL of one week", () => {
  const { clock, records } = store();
  records.put(key(1), "a");
  clock.ms += 604_800_000 - 1;
  assert.equal(records.get(key(1)), "a");
  clock.ms += 1;
  assert.equal(records.get(key(1)), undefined);
});

Deno.test("RecordStore.put() refuses a new key beyond maxRecords with StorageFullError", () => {
  const { clock, records } = store({ maxRecords: 2, ttlS: 100 });
  records.put(key(1), "a");
  clock.ms += 50_000;
  records.put(key(2), "b");
  assert.throws(() => records.put(key(3), "c"), (error) => {
    assert.ok(error instanceof StorageFullError);
    assert.equal(error.name, "StorageFullError");
    assert.equal(error.limit, 2);
    assert.equal(error.message, "Cannot store the value: this node already holds its limit of 2 values");
    return true;
  });
  assert.equal(records.get(key(3)), undefined);
  records.put(key(1), "a again"); // a key already held may be refreshed
  assert.equal(records.size, 2);
  clock.ms += 100_000; // both expired: a new key makes room by expiring them
  records.put(key(3), "c");
  assert.equal(records.size, 1);
  assert.equal(records.get(key(3)), "c");
});

Deno.test("RecordStore.put() refuses a value beyond maxBytes and keeps what it holds", () => {
  const { records } = store({ maxBytes: 100 });
  const bytes = (n: number) => new Uint8Array(n); // msgpack bin8: n + 2 bytes
  records.put(key(1), bytes(48));
  records.put(key(2), bytes(38));
  assert.equal(records.bytes, 90);
  assert.throws(() => records.put(key(3), bytes(9)), (error) => {
    assert.ok(error instanceof StorageFullError);
    assert.equal(error.unit, "bytes");
    assert.equal(error.limit, 100);
    assert.equal(error.sizeBytes, 11);
    assert.equal(
      error.message,
      "Cannot store the value: its 11 bytes would exceed this node's storage limit of 100 bytes",
    );
    return true;
  });
  assert.equal(records.bytes, 90);
  assert.deepEqual(records.get(key(1)), bytes(48));
  records.put(key(2), bytes(48)); // a replaced value counts only its new size
  assert.equal(records.bytes, 100);
  assert.throws(() => records.put(key(2), bytes(49)), StorageFullError);
  assert.deepEqual(records.get(key(2)), bytes(48), "a refused replacement keeps the old value");
});

Deno.test("RecordStore frees the bytes of expired values", () => {
  const { clock, records } = store({ maxBytes: 100, ttlS: 10 });
  records.put(key(1), new Uint8Array(90));
  clock.ms += 10_000;
  records.put(key(2), new Uint8Array(90)); // the expired value makes room
  assert.equal(records.bytes, 92);
  assert.equal(records.size, 1);
});

Deno.test("RecordStore refuses a store to a full node without walking what it holds (expiry from the head)", () => {
  let clockReads = 0;
  const records = new RecordStore({ maxRecords: 5000, now: () => (clockReads++, 1_000_000) });
  for (let i = 0; i < 5000; i++) records.put(key(i), i);
  clockReads = 0;
  assert.throws(() => records.put(key(9999), 1), StorageFullError);
  assert.ok(clockReads <= 3, `${clockReads} records looked at`);
});

Deno.test("RecordStore keeps a quota per source, freed when its values go", () => {
  const { clock, records } = store({ ttlS: 10 });
  const quota = new RecordStore({ maxRecordsPerSource: 2, maxBytesPerSource: 100, now: () => clock.ms });
  quota.put(key(1), "a", "10.0.0.1");
  quota.put(key(2), "b", "10.0.0.1");
  assert.throws(() => quota.put(key(3), "c", "10.0.0.1"), {
    name: "StorageFullError",
    message: "Cannot store the value: 10.0.0.1 reached its quota of 2 values on this node",
  });
  quota.put(key(2), "b again", "10.0.0.1"); // a replacement takes no new slot
  quota.put(key(3), "c", "10.0.0.2");
  quota.put(key(4), "d"); // this node's own writes have no quota
  assert.throws(() => quota.put(key(5), new Uint8Array(200), "10.0.0.3"), /quota of 100 bytes/);
  assert.ok(quota.delete(key(1)));
  quota.put(key(5), "e", "10.0.0.1");
  assert.deepEqual(quota.usageOf("10.0.0.1"), { records: 2, bytes: 10 });
  assert.ok(records.size === 0);
});
