import assert from "node:assert/strict";
import { SimNetwork } from "../sim/network.ts";
import { Prng } from "../sim/prng.ts";
import { runScenario, type SimReport } from "../sim/scenario.ts";
import { Scheduler } from "../sim/scheduler.ts";

/** A report without what depends on the machine (wall time, memory). */
function outcome(report: SimReport): Omit<SimReport, "wall_s" | "cpu_s" | "rss_mb" | "heap_mb" | "kb_per_node"> {
  const { wall_s: _, cpu_s: __, rss_mb: ___, heap_mb: ____, kb_per_node: _____, ...rest } = report;
  return rest;
}

Deno.test("a simulated churn run is a function of its seed: the same seed twice gives the same trace", async () => {
  const params = { scenario: "churn", nodes: 40, seed: 7, values: 20, lookups: 20 } as const;
  const first = await runScenario(params);
  const second = await runScenario(params);
  assert.equal(first.invariant, undefined, first.invariant);
  assert.deepEqual(outcome(second), outcome(first));
  assert.ok(first.events > 10_000, `only ${first.events} events`);
  const other = await runScenario({ ...params, seed: 8 });
  assert.notEqual(other.trace_hash, first.trace_hash);
});

Deno.test("the scheduler runs events in time order, drains promise continuations, and drops a crashed process's timers", async () => {
  const scheduler = new Scheduler();
  const seen: string[] = [];
  const a = scheduler.newContext();
  const b = scheduler.newContext();
  scheduler.within(a, () => {
    scheduler.setTimeout(() => Promise.resolve().then(() => seen.push(`a-then@${scheduler.now}`)), 20);
    scheduler.setTimeout(() => seen.push(`a@${scheduler.now}`), 10);
  });
  scheduler.within(b, () => {
    scheduler.setTimeout(() => seen.push(`b@${scheduler.now}`), 15);
    const cancelled = scheduler.setTimeout(() => seen.push("cancelled"), 5);
    scheduler.clearTimeout(cancelled);
    scheduler.setTimeout(() => seen.push("after crash"), 30);
  });
  scheduler.at(25, 0, () => scheduler.crash(b));
  await scheduler.run(100);
  assert.deepEqual(seen, ["a@10", "b@15", "a-then@20"]);
  assert.equal(scheduler.now, 100);
});

Deno.test("the simulated network loses, duplicates and cuts datagrams as configured", async () => {
  const scheduler = new Scheduler();
  const network = new SimNetwork(scheduler, new Prng(1), { loss: 0.25, duplicate: 0.1 });
  const from = network.listen({ hostname: "10.0.0.1", port: 1 }, 1);
  const to = network.listen({ hostname: "10.0.0.2", port: 1 }, 2);
  const received: number[] = [];
  (async () => {
    for (;;) received.push((await to.receive())[0][0]!);
  })().catch(() => {});
  for (let i = 0; i < 1000; i++) await from.send(new Uint8Array([i & 255]), to.addr as Deno.NetAddr);
  await scheduler.run(10_000);
  const { sent, lost, duplicated, delivered } = network.stats;
  assert.equal(sent, 1000);
  assert.ok(lost > 200 && lost < 300, `lost ${lost}`);
  assert.ok(duplicated > 50 && duplicated < 110, `duplicated ${duplicated}`);
  assert.equal(delivered, 1000 - lost + duplicated);
  assert.equal(received.length, delivered);
  network.loss = 0;
  network.duplicate = 0;
  network.partition((host) => host);
  await from.send(new Uint8Array([1]), to.addr as Deno.NetAddr);
  await scheduler.run(20_000);
  assert.equal(network.stats.cut, 1);
  assert.equal(network.stats.delivered, delivered);
});
