import assert from "node:assert/strict";
import { SeededRandom } from "../quantum/mod.ts";
import { concatBits, monobitTest, runSessionLocally, runsTest } from "./mod.ts";

Deno.test("runSessionLocally() gives identical keys of exactly 128 bits in 50 sessions without noise or Eve", async () => {
  const keys: Uint8Array[] = [];
  for (let seed = 0; seed < 50; seed++) {
    const result = await runSessionLocally({ keyBits: 128, random: new SeededRandom(seed) });
    assert.equal(result.aborted, undefined, `seed ${seed}`);
    assert.equal(result.finalBits, 128);
    assert.equal(result.aliceKey.length, 128);
    assert.deepEqual(result.bobKey, result.aliceKey, `seed ${seed}`);
    assert.equal(result.qber, 0);
    assert.equal(result.trueQber, 0);
    assert.ok(result.secureBits >= 128);
    keys.push(result.aliceKey);
  }
  assert.equal(new Set(keys.map((key) => key.join(""))).size, 50, "every session has its own key");
  const all = concatBits(keys);
  assert.ok(monobitTest(all).passed, `monobit p ${monobitTest(all).pValue}`);
  assert.ok(runsTest(all).passed, `runs p ${runsTest(all).pValue}`);
});

Deno.test("runSessionLocally() with noise 0.03 ends with identical keys and a QBER estimate within 0.015", async () => {
  for (let seed = 0; seed < 8; seed++) {
    const result = await runSessionLocally({ keyBits: 1024, noise: 0.03, random: new SeededRandom(100 + seed) });
    assert.equal(result.aborted, undefined, `seed ${seed}`);
    assert.equal(result.finalBits, 1024);
    assert.deepEqual(result.bobKey, result.aliceKey, `seed ${seed}`);
    assert.ok(Math.abs(result.trueQber - 0.03) < 0.01, `true error rate ${result.trueQber}`);
    assert.ok(Math.abs(result.qber - result.trueQber) <= 0.015, `estimate ${result.qber}, true ${result.trueQber}`);
    assert.ok(result.leakage > 0);
  }
});

Deno.test("runSessionLocally() with Eve on every photon measures a QBER near 25 % and aborts", async (t) => {
  await t.step("4096-bit sessions estimate 0.25 ± 0.04", async () => {
    for (let seed = 0; seed < 5; seed++) {
      const result = await runSessionLocally({ keyBits: 4096, eve: 1, random: new SeededRandom(200 + seed) });
      assert.ok(Math.abs(result.qber - 0.25) <= 0.04, `QBER ${result.qber}`);
      const qber = result.qber.toFixed(3).replace(".", "\\.");
      assert.match(
        result.aborted ?? "",
        new RegExp(
          `^Cannot continue the session: QBER ${qber} exceeds the threshold 0\\.11 \\(estimated on \\d+ sample bits\\)$`,
        ),
      );
      assert.equal(result.finalBits, 0);
      assert.deepEqual([result.aliceKey.length, result.bobKey.length, result.leakage], [0, 0, 0]);
    }
  });
  await t.step("every 128-bit session aborts on the QBER", async () => {
    for (let seed = 0; seed < 30; seed++) {
      const result = await runSessionLocally({ keyBits: 128, eve: 1, random: new SeededRandom(300 + seed) });
      assert.match(result.aborted ?? "", /^Cannot continue the session: QBER 0\.\d{3} exceeds the threshold 0\.11 /);
    }
  });
});

Deno.test("runSessionLocally() makes a 4096-bit key whose bits pass the monobit and runs tests", async () => {
  for (const [seed, noise] of [[400, 0], [401, 0.02]] as const) {
    const result = await runSessionLocally({ keyBits: 4096, noise, random: new SeededRandom(seed) });
    assert.equal(result.finalBits, 4096);
    assert.deepEqual(result.bobKey, result.aliceKey);
    assert.ok(monobitTest(result.aliceKey).passed, `monobit p ${monobitTest(result.aliceKey).pValue}`);
    assert.ok(runsTest(result.aliceKey).passed, `runs p ${runsTest(result.aliceKey).pValue}`);
  }
});

Deno.test("runSessionLocally() reports the reason when it cannot deliver a confirmed key", async (t) => {
  await t.step("too few rounds for the requested length", async () => {
    const result = await runSessionLocally({ keyBits: 128, maxRounds: 1, random: new SeededRandom(1) });
    assert.equal(result.aborted, "Cannot produce a 128-bit key: 320 positions in 1 round leave only 0 secure bits");
    assert.equal(result.finalBits, 0);
  });
  await t.step("errors left by a single Cascade pass fail the confirmation", async () => {
    const result = await runSessionLocally({
      keyBits: 128,
      noise: 0.05,
      cascadePasses: 1,
      random: new SeededRandom(1),
    });
    assert.equal(
      result.aborted,
      "Cannot confirm the key: Alice's and Bob's confirmation tags differ after error correction",
    );
  });
});

Deno.test("runSessionLocally() stops when its signal aborts", async () => {
  await assert.rejects(
    runSessionLocally({ keyBits: 128, random: new SeededRandom(1), signal: AbortSignal.abort(new Error("stop")) }),
    { message: "stop" },
  );
});

Deno.test("runSessionLocally() with Eve intercepting and resending every photon aborts all of 200 sessions", async () => {
  let onQber = 0;
  for (let seed = 0; seed < 200; seed++) {
    const result = await runSessionLocally({ keyBits: 256, eve: 1, random: new SeededRandom(5000 + seed) });
    assert.ok(result.aborted !== undefined, `seed ${seed} gave a key`);
    assert.deepEqual([result.finalBits, result.aliceKey.length, result.bobKey.length], [0, 0, 0]);
    if (result.aborted.includes("exceeds the threshold 0.11")) onQber++;
  }
  // A small first sample may by chance show few errors; the pooled estimate then catches Eve a round later.
  assert.ok(onQber >= 190, `${onQber} of 200 aborted on the QBER`);
});
