import assert from "node:assert/strict";
import { concatBits, countErrors, monobitTest, runsTest } from "../postprocess/mod.ts";
import { startTestNetwork } from "./_test_network.ts";

Deno.test("Alice.generateKey() gives Alice and Bob the same 128-bit key in 50 sessions over UDP", async () => {
  await using net = await startTestNetwork(30);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < 50; i++) {
    const result = await net.alice.generateKey({ keyBits: 128, bob: net.bobNode.address });
    assert.equal(result.reason, undefined, `session ${i}`);
    assert.equal(result.ok, true);
    assert.equal(result.finalBits, 128);
    assert.deepEqual(net.bob.session(result.session)?.key, result.key, `session ${i}`);
    assert.equal(result.qber, 0);
    keys.push(result.key);
  }
  assert.equal(new Set(keys.map((k) => k.join(""))).size, 50);
  const all = concatBits(keys);
  assert.ok(monobitTest(all).passed, `monobit p ${monobitTest(all).pValue}`);
  assert.ok(runsTest(all).passed, `runs p ${runsTest(all).pValue}`);
});
