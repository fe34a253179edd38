import assert from "node:assert/strict";
import { runScenario } from "../sim/scenario.ts";

/**
 * Seeds the simulator found failing, pinned. churn, 100 nodes, seed 1: 60 s after 30 % of the workers died at once,
 * 17 of 100 values had fewer than k = 20 live replicas (the worst 13), because a loss was repaired by one store to
 * the new k-th closest node only, while after a mass join the holders are not exactly the k closest, and losses a
 * node saw before it became a value's closest holder were never repaired.
 */
Deno.test("churn 100 nodes seed 1: every value has k live replicas a minute after a 30 % kill", async () => {
  const report = await runScenario({ scenario: "churn", nodes: 100, seed: 1 });
  assert.equal(report.invariant, undefined, report.invariant);
  assert.equal(report.values_lost, 0);
});

/**
 * mass-join, 300 bare nodes, seed 4, host processes that freeze (16 processes, ~1.2 s about every 4 s): Alice's
 * lookups of every worker missed 5 of them (the `cqkd startup` defect: 3 of 17 runs at 1000 workers missed one).
 * A lookup stopped waiting for a contact silent for lookup_stall_timeout (1 s) even when that contact was the node
 * it looked for, and ended without it once the others had answered.
 */
Deno.test("mass-join 300 nodes seed 4 with stalling hosts: Alice's lookups reach every worker", async () => {
  const report = await stallingMassJoin(4, { bare: true });
  assert.equal(report.invariant, undefined, report.invariant);
  assert.equal(report.probes.final?.unreached, 0);
});

/**
 * mass-join, 300 nodes with their services, seed 5, the same stalling hosts: Alice's lookups missed a worker
 * (b0eef677bddd), and with seed 4 a value had 3 live replicas of 20. Three causes, each fixed: a requester frozen past
 * its timeout fired the timer before reading the answer already in its socket (a late timer now waits once more);
 * a requester frozen past the 2 s address probe lost every large reply for a minute (the probe now waits 4 s and an
 * address is probed again after 2 s, doubling); the probes and the writes went through nodes whose join a stall still
 * held up (they now use joined nodes).
 */
Deno.test("mass-join 300 nodes seed 5 with services and stalling hosts: every joined worker is reached", async () => {
  const report = await stallingMassJoin(5);
  assert.equal(report.invariant, undefined, report.invariant);
  assert.equal(report.probes.final?.unreached, 0);
  assert.ok(report.transport.late_timers! > 0, "stalled processes fired late timers");
});

/**
 * The same, seed 6: a worker (2ead1281d167) frozen for 1.8 s just before Alice's check was dropped by its neighbours'
 * health checks, and nothing told them of it again before Alice asked. A node whose own timers fire a second late or
 * more now looks up its own id (core/kademlia/stall_recovery.ts), so its neighbours take it back.
 */
Deno.test("mass-join 300 nodes seed 6 with services and stalling hosts: a worker frozen before the check is reached", async () => {
  const report = await stallingMassJoin(6);
  assert.equal(report.invariant, undefined, report.invariant);
  assert.equal(report.probes.final?.unreached, 0);
});

/**
 * The same, seed 2: a worker (82d670d7ec2d) was known to all 20 of its closest neighbours, yet Alice's lookup of it,
 * made while it was frozen (17.1-18.7 s), never asked it. Alice's own fast check had failed it during an earlier
 * 3 s freeze (at 12.1 s; it was only heard of, so one failure removed it) and quarantined it for two fast intervals:
 * while quarantined, a contact others name is neither admitted nor queried. The node a locate looks for is now asked
 * whoever quarantined it: its answer, or its silence, is the truth.
 */
Deno.test("mass-join 300 nodes seed 2 with services and stalling hosts: a worker Alice quarantined is still located", async () => {
  const report = await stallingMassJoin(2);
  assert.equal(report.invariant, undefined, report.invariant);
  assert.equal(report.probes.final?.unreached, 0);
});

/**
 * The same, seed 27: Alice's lookups missed 5 workers. One of them (252eb8e4082e) froze for 5.6 s right after it began
 * its join; the seeds held their answers to its lookup (larger than the request) until its address passed a probe,
 * which the frozen requester failed, so the lookup dropped both seeds as slow, learned nothing, and the join ended
 * with only the seeds in the table: none of its neighbours heard of it before Alice's check. Fixed by the join asking
 * each seed for its neighbourhood first, waiting as long as the seed's address validation may take
 * (core/kademlia/node_lookups.ts, `askSeeds`); without that step this seed still misses 4 workers.
 */
Deno.test("mass-join 300 nodes seed 27 with services and stalling hosts: a worker frozen through its join is reached", async () => {
  const report = await stallingMassJoin(27);
  assert.equal(report.invariant, undefined, report.invariant);
  assert.equal(report.probes.final?.unreached, 0);
});

/** mass-join of 300 nodes over 16 host processes that each freeze ~1.2 s about every 4 s. */
function stallingMassJoin(seed: number, options: { bare?: boolean } = {}) {
  return runScenario({
    scenario: "mass-join",
    nodes: 300,
    seed,
    stalls: { processes: 16, everyMs: 4000, forMs: 1200 },
    ...options,
  });
}

/**
 * partition, 300 nodes, seed 1: 10 s after the heal, lookups found the closest node in 68 % of cases (81 % after 30 s,
 * all after 60 s), and 4 % of the values (some written during the cut) were unreadable. A contact
 * that failed its checks during the cut stayed out of lookups while other nodes named it, until its quarantine (2
 * fast intervals) ran out; now a named, quarantined contact is pinged and its answer ends the quarantine. (The
 * `tests/multihost_test.ts` failures after a heal, on real hosts, had this shape.)
 */
Deno.test("partition 300 nodes seed 1: 10 s after the heal lookups and reads across the former cut succeed", async () => {
  const report = await runScenario({ scenario: "partition", nodes: 300, seed: 1 });
  assert.equal(report.invariant, undefined, report.invariant);
  const healed = report.probes["healed+10"]!;
  assert.equal(healed.get, 1, "values written on both sides are readable");
  // 0.98 with the recheck (a quarantined contact is asked again at most every 5 s), 0.68 without.
  assert.ok((healed.lookup ?? 0) >= 0.95, `lookups found the closest node in ${healed.lookup} of cases`);
});
