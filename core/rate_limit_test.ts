import assert from "node:assert/strict";
import { TokenBuckets } from "./rate_limit.ts";

Deno.test("TokenBuckets.take() allows the burst, then one request per 1/rate, each key on its own", () => {
  let now = 1000;
  const buckets = new TokenBuckets({ ratePerS: 4, burst: 2, nowMs: () => now });
  assert.ok(buckets.take("a").ok);
  assert.ok(buckets.take("a").ok);
  assert.deepEqual(buckets.take("a"), { ok: false, retryAfterS: 1 });
  assert.ok(buckets.take("b").ok);
  now += 250;
  assert.ok(buckets.take("a").ok);
  assert.ok(!buckets.take("a").ok);
  now += 10_000;
  assert.ok(buckets.take("a").ok && buckets.take("a").ok && !buckets.take("a").ok, "refills only up to the burst");
});

Deno.test("TokenBuckets.take() tells a slow rate's wait in whole seconds", () => {
  const buckets = new TokenBuckets({ ratePerS: 0.1, burst: 1, nowMs: () => 0 });
  buckets.take("a");
  assert.deepEqual(buckets.take("a"), { ok: false, retryAfterS: 10 });
});

Deno.test("TokenBuckets forgets idle keys first when it tracks maxKeys", () => {
  let now = 0;
  const buckets = new TokenBuckets({ ratePerS: 1, burst: 1, maxKeys: 3, nowMs: () => now });
  for (const key of ["a", "b", "c"]) buckets.take(key);
  now += 5000; // a, b and c have refilled: idle
  buckets.take("d");
  assert.equal(buckets.size, 1);
  for (const key of ["e", "f", "g"]) buckets.take(key); // none idle: the oldest goes
  assert.equal(buckets.size, 3);
});

Deno.test("TokenBuckets refuses a rate or burst that is not positive", () => {
  assert.throws(() => new TokenBuckets({ ratePerS: 0, burst: 1 }), RangeError);
  assert.throws(() => new TokenBuckets({ ratePerS: 1, burst: 0 }), RangeError);
});
