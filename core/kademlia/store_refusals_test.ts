import assert from "node:assert/strict";
import { NodeId } from "./node_id.ts";
import { StoreRefusals } from "./store_refusals.ts";

Deno.test("StoreRefusals.record() counts every refusal and warns once per reason and interval", () => {
  let ms = 0;
  const warnings: string[] = [];
  const refusals = new StoreRefusals({ onWarning: (m) => warnings.push(m), warnIntervalMs: 1000, now: () => ms });
  const key = NodeId.fromValue(1n);
  const from = { host: "127.0.0.1", port: 4000 };
  refusals.record("stale", key, from);
  refusals.record("stale", key, from);
  refusals.record("storage-full", key);
  ms += 999;
  refusals.record("stale", key, from);
  ms += 1;
  refusals.record("stale", key, from);
  assert.deepEqual(refusals.counts, {
    "too-large": 0,
    "storage-full": 1,
    "source-quota": 0,
    forged: 0,
    unsigned: 0,
    "other-writer": 0,
    stale: 4,
    future: 0,
  });
  assert.equal(refusals.total, 5);
  const hex = key.hex;
  assert.deepEqual(warnings, [
    `Refused to store key ${hex} from 127.0.0.1:4000: its sequence number is not higher than the stored record's`,
    `Refused to store key ${hex} from this node: this node's storage limit is reached`,
    `Refused to store key ${hex} from 127.0.0.1:4000: its sequence number is not higher than the stored record's` +
    " (2 more such refusals since the last warning)",
  ]);
});
