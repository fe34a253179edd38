import assert from "node:assert/strict";
import { toHex } from "../../core/bytes.ts";
import { SigningIdentity } from "../../core/crypto/mod.ts";
import {
  BATCH_ROLES,
  batchCommands,
  batchSizes,
  bobExpectation,
  expectedBy,
  KEY_SLOTS,
  workersFor,
} from "./batch_plan.ts";
import type { SealedMessenger } from "./sealed_messenger.ts";
import { keyFingerprint, keyIdOf } from "./session_ids.ts";
import { WorkerExposure } from "./worker_exposure.ts";
import { WorkerPool } from "./worker_pool.ts";
import { DeadWorkers } from "./dead_workers.ts";

/** A pool of `count` workers with real identities (no network: assignment is pure). */
function pool(count: number): WorkerPool {
  const workers = new WorkerPool(new DeadWorkers(), {
    discover: () => Promise.resolve([]),
    messenger: {} as SealedMessenger,
  });
  workers.workers = Array.from({ length: count }, (_, i) => ({
    id: i.toString(16).padStart(40, "0"),
    host: "127.0.0.1",
    port: 1000 + i,
    key: new Uint8Array(32).fill(i),
    identity: SigningIdentity.generate().publicKey,
  }));
  return workers;
}

Deno.test("WorkerPool.assign() spreads the key slots: with 30 workers, 10 batches give each worker one key slot", () => {
  const workers = pool(30);
  const exposure = new WorkerExposure();
  const plans = workers.assign(Array.from({ length: 10 }, (_, index) => ({ index, count: 64 })), exposure);
  for (const plan of plans) {
    assert.equal(new Set(Object.values(plan.workers).map((w) => w.id)).size, BATCH_ROLES.length, "six distinct");
    assert.match(plan.id, /^[0-9a-f]{32}$/);
    exposure.add(KEY_SLOTS.map((slot) => plan.workers[slot].id), 40);
  }
  assert.equal(new Set(plans.map((p) => p.id)).size, 10, "random batch ids");
  assert.deepEqual([...new Set(exposure.load.values())], [1], "no worker holds two key slots");
  assert.equal(exposure.maxShare(1), 0.1);
  assert.equal(exposure.maxShare(3), 0.3);
  assert.equal(exposure.leakedBits(100), 400, "never more than every kept bit");
});

Deno.test("batchCommands() routes each slot's output as the table says, naming every upstream sender", () => {
  const [plan] = pool(6).assign([{ index: 0, count: 100 }], new WorkerExposure());
  const party = (port: number) => ({
    host: "127.0.0.1",
    port,
    key: new Uint8Array(32),
    identity: SigningIdentity.generate().publicKey,
  });
  const [alice, bob] = [party(1), party(2)];
  const commands = batchCommands(plan!, "00ff00ff00ff00ff", { alice, bob }, { noise: 0.01, eve: 0 });
  const byRole = new Map(commands.map(([worker, command]) => [worker.id, command]));
  const qpp = byRole.get(plan!.workers.qpp.id)!;
  assert.deepEqual(qpp.inputs, {
    spins: toHex(plan!.workers.qsg.identity),
    bases: toHex(plan!.workers.bgAlice.identity),
  });
  assert.deepEqual(qpp.channel, { noise: 0.01, eve: 0 });
  assert.deepEqual(qpp.routes.map((r) => [r.to.port, r.as]), [[plan!.workers.qpm.port, "polarizations"]]);
  assert.equal(commands[0]![1].role, "qpc", "consumers are assigned first");
  assert.deepEqual(expectedBy(plan!, "alice"), {
    spins: toHex(plan!.workers.qsg.identity),
    bases: toHex(plan!.workers.bgAlice.identity),
    sifted: toHex(plan!.workers.qpc.identity),
  });
  assert.deepEqual(bobExpectation(plan!).senders, {
    bases: toHex(plan!.workers.bgBob.identity),
    readings: toHex(plan!.workers.qpm.identity),
    sifted: toHex(plan!.workers.qpc.identity),
  });
});

Deno.test("keyIdOf() gives both sides one UUID per session and index; fingerprints exist from 128 bits", async () => {
  assert.equal(await keyIdOf("0123456789abcdef", 0), await keyIdOf("0123456789abcdef", 0));
  assert.notEqual(await keyIdOf("0123456789abcdef", 0), await keyIdOf("0123456789abcdef", 1));
  assert.equal(await keyFingerprint(new Uint8Array(127)), null);
  assert.match((await keyFingerprint(new Uint8Array(128)))!, /^[0-9a-f]{16}$/);
});

Deno.test("batchSizes() splits a round evenly within the batch limits, and spreads it over a large pool", () => {
  const sizing = { batchPositions: 4, minBatchPositions: 1, maxWorkers: 100 };
  assert.deepEqual(batchSizes(10, 0, sizing), [3, 3, 4], "no batch over batchPositions");
  const spread = batchSizes(100, 10 * KEY_SLOTS.length, { ...sizing, batchPositions: 100, minBatchPositions: 20 });
  assert.deepEqual(spread, [20, 20, 20, 20, 20], "as many batches as minBatchPositions allows, pool permitting");
  assert.equal(batchSizes(7, 1000, { ...sizing, batchPositions: 100, minBatchPositions: 100 }).length, 1);
  // Two disjoint worker sets and room for 5 batches: 6, so that neither set sees more than half of the key.
  const even = batchSizes(20_000, 2 * KEY_SLOTS.length, { ...sizing, batchPositions: 4096, minBatchPositions: 64 });
  assert.deepEqual(even, [3333, 3333, 3334, 3333, 3333, 3334]);
});

Deno.test("workersFor() finds enough workers to spread the first round's batches, within maxWorkers", () => {
  const sizing = { batchPositions: 1000, minBatchPositions: 100, maxWorkers: 1000 };
  assert.equal(workersFor(1000, sizing), 10 * KEY_SLOTS.length);
  assert.equal(workersFor(1, sizing), Math.max(BATCH_ROLES.length, KEY_SLOTS.length), "one whole batch at least");
  assert.equal(workersFor(1000, { ...sizing, maxWorkers: 5 }), 5);
});
