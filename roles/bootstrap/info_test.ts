import assert from "node:assert/strict";
import { type BootstrapInfo, parseInfo, parseInfoList } from "./info.ts";

const INFO: BootstrapInfo = {
  tier: "local",
  region: "east",
  name: "local-3",
  id: "ab".repeat(20),
  host: "127.0.0.1",
  port: 5701,
  load: 7,
  capacity: 50,
};

Deno.test("parseInfo() reads a bootstrap info map and drops unknown fields", () => {
  assert.deepEqual(parseInfo({ ...INFO, extra: "ignored" }), INFO);
  assert.deepEqual(parseInfo({ ...INFO, region: "" }), { ...INFO, region: "" });
});

Deno.test("parseInfo() refuses maps with a field of the wrong type", async (t) => {
  const bad: Record<string, unknown> = {
    "unknown tier": { ...INFO, tier: "mega" },
    "upper-case id": { ...INFO, id: "AB".repeat(20) },
    "short id": { ...INFO, id: "ab" },
    "id as bytes": { ...INFO, id: new Uint8Array(20) },
    "empty host": { ...INFO, host: "" },
    "port 0": { ...INFO, port: 0 },
    "port 70000": { ...INFO, port: 70000 },
    "negative load": { ...INFO, load: -1 },
    "fractional capacity": { ...INFO, capacity: 2.5 },
    "long name": { ...INFO, name: "x".repeat(256) },
    "missing region": { ...INFO, region: undefined },
    "an array": [INFO],
    "bytes": new Uint8Array(4),
    "null": null,
  };
  for (const [name, value] of Object.entries(bad)) {
    await t.step(name, () => assert.equal(parseInfo(value), undefined));
  }
});

Deno.test("parseInfoList() skips bad entries and refuses what is not a list", () => {
  assert.deepEqual(parseInfoList([INFO, { nope: 1 }, 7, { ...INFO, port: 5702 }]), [INFO, { ...INFO, port: 5702 }]);
  assert.deepEqual(parseInfoList([]), []);
  assert.equal(parseInfoList({ 0: INFO }), undefined);
  assert.equal(parseInfoList("list"), undefined);
});
