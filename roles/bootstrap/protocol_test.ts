import assert from "node:assert/strict";
import { encodeValue } from "../../core/net/mod.ts";
import type { BootstrapInfo } from "./info.ts";
import { fitList, MAX_LIST_BYTES, parseJoinAnswer } from "./protocol.ts";

const INFO: BootstrapInfo = {
  tier: "regional",
  region: "north",
  name: "regional-12",
  id: "0f".repeat(20),
  host: "127.0.0.1",
  port: 5690,
  load: 120,
  capacity: 250,
};

Deno.test("fitList() keeps the head of a list that fits the byte budget", () => {
  const many = Array.from({ length: 200 }, (_, i) => ({ ...INFO, port: 1000 + i }));
  const fitted = fitList(many);
  assert.ok(fitted.length > 20 && fitted.length < 200);
  assert.deepEqual(fitted, many.slice(0, fitted.length));
  assert.ok(encodeValue(fitted).length <= MAX_LIST_BYTES + 5);
  assert.ok(encodeValue(many.slice(0, fitted.length + 1)).length > MAX_LIST_BYTES);
  assert.deepEqual(fitList(many, 0), []);
});

Deno.test("parseJoinAnswer() reads the three answers and refuses other shapes", () => {
  assert.deepEqual(parseJoinAnswer({ status: "accepted", info: INFO, leaseMs: 1000 }), {
    status: "accepted",
    info: INFO,
    leaseMs: 1000,
  });
  assert.deepEqual(parseJoinAnswer({ status: "redirect", to: [INFO, "junk"] }), { status: "redirect", to: [INFO] });
  assert.deepEqual(parseJoinAnswer({ status: "full", to: [] }), { status: "full", to: [] });
  for (const bad of [null, true, [], { status: "accepted", info: INFO }, { status: "full" }, { status: "maybe" }]) {
    assert.throws(() => parseJoinAnswer(bad), TypeError, JSON.stringify(bad));
  }
});
