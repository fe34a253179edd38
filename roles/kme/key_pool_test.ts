import assert from "node:assert/strict";
import { CqkdMetrics } from "../../core/metrics/mod.ts";
import { KeyStore } from "../keystore/mod.ts";
import { feedSameKeys, startTwoKmes } from "./_test_kmes.ts";
import { KeyPool, type KeyProducer, parallelSessionsFor } from "./key_pool.ts";
import { localSessionProducer } from "./local_producer.ts";

/** A producer that stores keys of 256 bits on both sides after a short wait, and counts sessions in flight. */
function fakeProducer(stores: KeyStore[], failFirst = 0) {
  const seen = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const producer: KeyProducer = {
    async produce(bits, signal) {
      seen.calls++;
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        signal.throwIfAborted();
        if (seen.calls <= failFirst) throw new Error("QBER 0.150 exceeds the threshold 0.11");
        feedSameKeys(stores, Math.ceil(bits / 256));
        return { bits: Math.ceil(bits / 256) * 256, qber: 0.02 };
      } finally {
        seen.inFlight--;
      }
    },
  };
  return { producer, seen };
}

Deno.test("KeyPool refills to the high watermark with sessions in parallel, and again when drained through the KMEs", async () => {
  await using kmes = await startTwoKmes();
  const { producer, seen } = fakeProducer([kmes.aliceStore, kmes.bobStore]);
  const metrics = new CqkdMetrics();
  await using pool = KeyPool.start({
    pair: "sae-alice/sae-bob",
    store: kmes.aliceStore,
    producer,
    lowWatermarkBits: 2048,
    highWatermarkBits: 8192,
    sessionBits: 1024,
    parallel: 3,
    metrics,
  });
  assert.ok(pool.refilling);
  await pool.filled();
  assert.ok(kmes.aliceStore.bits >= 8192 && kmes.aliceStore.bits < 8192 + 3 * 1024, `${kmes.aliceStore.bits}`);
  assert.equal(seen.maxInFlight, 3);
  const callsWhenFull = seen.calls;

  // Drain above the low watermark: no session. Then below it: refilling starts again.
  await using alice = kmes.client("sae-alice", kmes.alice);
  await using bob = kmes.client("sae-bob", kmes.bob);
  const drained: Array<{ key_ID: string; key: string }> = [];
  const drain = async (count: number) => {
    const { keys } = await alice.getKeys("sae-bob", { number: count });
    assert.deepEqual((await bob.getKeysById("sae-alice", keys.map((k) => k.key_ID))).keys, keys);
    drained.push(...keys);
  };
  await drain(16);
  assert.equal(seen.calls, callsWhenFull);
  assert.equal(pool.refilling, false);
  while (!pool.refilling) await drain(8);
  await pool.filled();
  assert.ok(kmes.aliceStore.bits >= 8192);
  assert.equal(new Set(drained.map((k) => k.key_ID)).size, drained.length, "no key delivered twice");
  assert.deepEqual(pool.stats.aborted, 0);

  const text = await metrics.render();
  assert.match(text, new RegExp(`^cqkd_key_pool_bits\\{pair="sae-alice/sae-bob"\\} ${kmes.aliceStore.bits}$`, "m"));
  assert.match(text, /^cqkd_key_pool_low_watermark_bits\{pair="sae-alice\/sae-bob"\} 2048$/m);
  assert.match(
    text,
    new RegExp(`^cqkd_key_pool_sessions_total\\{pair="sae-alice/sae-bob",outcome="completed"\\} ${seen.calls}$`, "m"),
  );
  assert.match(
    text,
    new RegExp(`^cqkd_key_pool_secret_bits_total\\{pair="sae-alice/sae-bob"\\} ${pool.stats.producedBits}$`, "m"),
  );
  assert.match(text, /^cqkd_key_pool_qber_ratio\{pair="sae-alice\/sae-bob"\} 0.02$/m);
});

Deno.test("KeyPool counts aborted sessions, waits longer after each failure in a row, and still fills", async () => {
  const alice = new KeyStore(), bob = new KeyStore();
  const { producer, seen } = fakeProducer([alice, bob], 3);
  const metrics = new CqkdMetrics();
  await using pool = KeyPool.start({
    pair: "a/b",
    store: alice,
    producer,
    lowWatermarkBits: 256,
    highWatermarkBits: 1024,
    sessionBits: 1024,
    parallel: 1,
    retryDelayMs: 20,
    metrics,
  });
  const started = performance.now();
  await pool.filled();
  assert.equal(pool.stats.aborted, 3);
  assert.equal(pool.stats.lastError, "QBER 0.150 exceeds the threshold 0.11");
  assert.equal(seen.calls, 4);
  assert.ok(performance.now() - started >= 20 + 40 + 80, "backs off 20, 40 then 80 ms");
  assert.match(await metrics.render(), /^cqkd_key_pool_sessions_total\{pair="a\/b",outcome="aborted"\} 3$/m);
});

Deno.test("KeyPool stops: disposing aborts the sessions in flight and starts no more", async () => {
  const store = new KeyStore();
  let aborted = 0;
  const producer: KeyProducer = {
    produce: (_bits, signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          aborted++;
          reject(signal.reason);
        })
      ),
  };
  const pool = KeyPool.start({
    pair: "a/b",
    store,
    producer,
    lowWatermarkBits: 1,
    highWatermarkBits: 4096,
    sessionBits: 1024,
  });
  assert.ok(pool.refilling);
  await pool[Symbol.asyncDispose]();
  assert.equal(aborted, 4);
  assert.equal(pool.refilling, false);
  assert.deepEqual(pool.stats, { sessions: 0, aborted: 0, producedBits: 0 });
  assert.throws(
    () => KeyPool.start({ pair: "a/b", store, producer, lowWatermarkBits: 10, highWatermarkBits: 10 }),
    /watermarks must be integers with 0 <= low < high/,
  );
});

Deno.test("KeyPool with the in-process key exchange at 2 % noise: both stores hold the same keys", async () => {
  const alice = new KeyStore(), bob = new KeyStore();
  await using pool = KeyPool.start({
    pair: "sae-alice/sae-bob",
    store: alice,
    producer: localSessionProducer({ alice, bob, noise: 0.02 }),
    lowWatermarkBits: 1024,
    highWatermarkBits: 2048,
    sessionBits: 1024,
    parallel: 2,
  });
  await pool.filled();
  assert.ok(alice.bits >= 2048, `${alice.bits}`);
  assert.deepEqual(bob.ids(), alice.ids());
  for (const id of alice.ids()) {
    const [a, b] = [alice.take(id)!, bob.take(id)!];
    assert.deepEqual(a.bytes, b.bytes);
    assert.equal(a.bitLength, 256);
  }
});

Deno.test("localSessionProducer() stores each key on both sides or on neither when a store is full", async () => {
  const alice = new KeyStore({ maxBits: 512 }), bob = new KeyStore();
  const producer = localSessionProducer({ alice, bob });
  await assert.rejects(producer.produce(1024, new AbortController().signal), /The key store is full/);
  assert.equal(alice.size, 2);
  assert.deepEqual(bob.ids(), alice.ids());
});

Deno.test("parallelSessionsFor: one session per 125 workers, at least 2 and at most 8", () => {
  assert.deepEqual([10, 249, 250, 500, 999, 1000, 10_000].map(parallelSessionsFor), [2, 2, 2, 4, 7, 8, 8]);
});
