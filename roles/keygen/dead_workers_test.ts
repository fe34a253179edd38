import assert from "node:assert/strict";
import { installRuntime, realRuntime } from "../../core/runtime/mod.ts";
import { NodeId } from "../../core/kademlia/mod.ts";
import { DeadWorkers } from "./dead_workers.ts";
import type { SealedMessenger } from "./sealed_messenger.ts";
import { WorkerPool } from "./worker_pool.ts";

function fakeClock() {
  const clock = { ms: 1_000_000 };
  const handle = installRuntime({ ...realRuntime, now: () => clock.ms });
  return Object.assign(clock, { [Symbol.dispose]: () => handle.restore() });
}

/** `count` discovered workers on made-up ports. */
function workerNodes(count: number, firstPort: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: NodeId.fromValue(BigInt(i + 1)),
    host: "127.0.0.1",
    port: firstPort + i,
    role: "worker",
    capabilities: [],
  }));
}

/** A messenger whose public-key probes time out for the ports `silent` names and succeed for the others. */
function probingMessenger(silent: (port: number) => boolean): SealedMessenger {
  return {
    publicKey: (peer: { port: number }) =>
      silent(peer.port) ? Promise.reject(new Error("timeout")) : Promise.resolve({
        ...peer,
        key: new Uint8Array(32),
        identity: new Uint8Array(32),
      }),
  } as unknown as SealedMessenger;
}

Deno.test("DeadWorkers keeps a worker out for its quarantine, then lets it back", () => {
  using clock = fakeClock();
  const dead = new DeadWorkers({ quarantineMs: 60_000 });
  dead.add("w1");
  assert.ok(dead.has("w1"));
  assert.deepEqual(dead.ids(), ["w1"]);
  clock.ms += 59_999;
  assert.ok(dead.has("w1"));
  clock.ms += 1;
  assert.ok(!dead.has("w1"), "back after 60 s");
  assert.equal(dead.size, 0);
});

Deno.test("DeadWorkers doubles the quarantine of a worker found dead again soon after, up to the cap", () => {
  using clock = fakeClock();
  const dead = new DeadWorkers({ quarantineMs: 1000, maxQuarantineMs: 4000 });
  const quarantine = () => {
    dead.add("w");
    const start = clock.ms;
    while (dead.has("w")) clock.ms += 100;
    return clock.ms - start;
  };
  assert.deepEqual([quarantine(), quarantine(), quarantine(), quarantine()], [1000, 2000, 4000, 4000]);
  clock.ms += 10_000;
  assert.equal(quarantine(), 1000, "a worker quiet for long starts over");
});

Deno.test("DeadWorkers remembers a bounded number of workers, forgetting the longest-quiet first", () => {
  using _clock = fakeClock();
  const dead = new DeadWorkers({ maxEntries: 3 });
  for (const id of ["a", "b", "c", "d"]) dead.add(id);
  assert.deepEqual(dead.ids(), ["b", "c", "d"]);
});

Deno.test("WorkerPool leaves a worker that missed its probe out of sessions until its quarantine ends", async () => {
  using clock = fakeClock();
  const nodes = workerNodes(7, 2000);
  const silent = new Set([nodes[0]!.port]);
  const messenger = probingMessenger((port) => silent.has(port));
  const dead = new DeadWorkers({ quarantineMs: 60_000 });
  const session = () =>
    new WorkerPool(dead, { discover: (count) => Promise.resolve(nodes.slice(0, count)), messenger });
  const first = session();
  await first.fill(7);
  assert.equal(first.workers.length, 6, "the silent worker is not keyed");
  silent.clear(); // it answers again, but is in quarantine
  const second = session();
  await second.fill(7);
  assert.ok(!second.workers.some((w) => w.port === nodes[0]!.port), "still in quarantine");
  clock.ms += 60_000;
  const third = session();
  await third.fill(7);
  assert.equal(third.workers.length, 7, "back after its quarantine");
});

Deno.test("WorkerPool asks quarantined workers again when too few others are left, and releases those that answer", async () => {
  using _clock = fakeClock();
  const nodes = workerNodes(8, 3000);
  // Alice's own process stalls: every probe of hers times out, and every worker lands in quarantine.
  let stalled = true;
  const messenger = probingMessenger(() => stalled);
  const dead = new DeadWorkers({ quarantineMs: 60_000 });
  const session = () =>
    new WorkerPool(dead, {
      discover: (count) => Promise.resolve(nodes.slice(0, Math.min(count, nodes.length))),
      messenger,
    });
  await assert.rejects(session().fill(8), { name: "NoWorkersError" });
  assert.equal(dead.size, 8, "all in quarantine");
  // The stall is over; the workers were never dead. The next session need not wait out their quarantine.
  stalled = false;
  const next = session();
  await next.fill(8);
  assert.equal(next.workers.length, 8);
  assert.equal(dead.size, 0, "those that answered are released");
});
