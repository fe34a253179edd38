import assert from "node:assert/strict";
import { bootstrapHostCount, defaultWorkersPerHost, MIN_TIERS, sizeTiers, TierSizeError } from "./sizing.ts";

Deno.test("sizeTiers() never goes below 4 super, 16 regional, 64 local", () => {
  for (const workers of [0, 10, 1000, 3200]) assert.deepEqual(sizeTiers({ workers }), MIN_TIERS);
});

Deno.test("sizeTiers() sizes each tier from what hangs under it", () => {
  assert.deepEqual(sizeTiers({ workers: 10_000 }), { superCount: 4, regionalCount: 16, localCount: 200 });
  assert.deepEqual(sizeTiers({ workers: 3201 }), { superCount: 4, regionalCount: 16, localCount: 65 });
  // 20,000 locals + Alice and Bob need 81 regionals at 250 each.
  assert.deepEqual(sizeTiers({ workers: 1_000_000 }), { superCount: 4, regionalCount: 81, localCount: 20_000 });
  const small = { super: 2, regional: 3, local: 5 };
  const minimum = { superCount: 1, regionalCount: 1, localCount: 1 };
  assert.deepEqual(sizeTiers({ workers: 26 }, small, minimum), { superCount: 2, regionalCount: 3, localCount: 6 });
});

Deno.test("sizeTiers() keeps tiers fixed by the user and refuses them with the numbers when too small", () => {
  assert.deepEqual(sizeTiers({ workers: 10_000, localCount: 256, regionalCount: 32 }), {
    superCount: 4,
    regionalCount: 32,
    localCount: 256,
  });
  assert.throws(
    () => sizeTiers({ workers: 10_000, localCount: 64 }),
    (error) =>
      error instanceof TierSizeError &&
      error.message === "10000 workers need 200 local bootstrap nodes at 50 each; --local 64 holds 3200",
  );
  assert.throws(
    () => sizeTiers({ workers: 10, localCount: 600, regionalCount: 2 }),
    /^TierSizeError: 600 local bootstrap nodes and 2 Alice and Bob need 3 regional bootstrap nodes at 250 each; --regional 2 holds 500$/,
  );
});

Deno.test("sizeTiers() hangs the workers under the tier above when --local is 0", () => {
  assert.deepEqual(sizeTiers({ workers: 3, superCount: 1, regionalCount: 0, localCount: 0 }), {
    superCount: 1,
    regionalCount: 0,
    localCount: 0,
  });
  assert.throws(
    () => sizeTiers({ workers: 600, superCount: 1, regionalCount: 0, localCount: 0 }),
    /600 workers and 2 Alice and Bob need 2 super bootstrap nodes at 500 each; --super 1 holds 500/,
  );
});

Deno.test("bootstrap nodes and workers are cut into host processes", () => {
  assert.equal(bootstrapHostCount(3), 1);
  assert.equal(bootstrapHostCount(84), 2);
  assert.equal(bootstrapHostCount(220), 4);
  assert.equal(defaultWorkersPerHost(1000), 250);
  assert.equal(defaultWorkersPerHost(10_000), 1250);
});
