import assert from "node:assert/strict";
import { JoinPacing } from "./join_pacing.ts";

Deno.test("join pacing halves the joins at once when the loop lags, and adds one back per sample that keeps up", () => {
  let raised = 0;
  const pacing = new JoinPacing({ max: 32, min: 2, onRaise: () => raised++ });
  assert.equal(pacing.limit, 32);
  for (const lag of [150, 400, 100]) pacing.observe(lag);
  assert.equal(pacing.limit, 4);
  for (let i = 0; i < 10; i++) pacing.observe(5000);
  assert.equal(pacing.limit, 2, "never below the minimum");
  pacing.observe(60); // neither behind nor keeping up: unchanged
  assert.equal(pacing.limit, 2);
  for (let i = 0; i < 5; i++) pacing.observe(3);
  assert.equal(pacing.limit, 7);
  assert.equal(raised, 5);
  for (let i = 0; i < 100; i++) pacing.observe(0);
  assert.equal(pacing.limit, 32, "never above the maximum");
  assert.equal(raised, 30);
});

Deno.test("join pacing samples the real loop only while joins go on", async () => {
  let busy = 3;
  using pacing = new JoinPacing({ max: 8, initial: 4, sampleMs: 5 });
  const { promise, resolve } = Promise.withResolvers<void>();
  pacing.watch(() => --busy > 0 || (resolve(), false));
  await promise;
  // Three samples of an idle loop, each keeping up (a loaded CI machine may lag one: at least one more).
  assert.ok(pacing.limit >= 2 && pacing.limit <= 7, `limit ${pacing.limit}`);
});

Deno.test("join pacing runs one sampler however often the limit is raised while joins go on", async () => {
  let samples = 0;
  const busy = () => {
    samples++;
    return true;
  };
  // As the fleet does: every raise starts more joins and watches again.
  using pacing = new JoinPacing({ max: 1000, initial: 2, sampleMs: 10, onRaise: () => pacing.watch(busy) });
  pacing.watch(busy);
  await new Promise((resolve) => setTimeout(resolve, 200));
  // One sampler every 10 ms: at most 20 samples in 200 ms (fewer when the loop lags); samplers that forked on each
  // raise would have taken hundreds.
  assert.ok(samples <= 21, `${samples} samples`);
});
