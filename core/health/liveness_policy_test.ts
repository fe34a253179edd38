import assert from "node:assert/strict";
import { type Contact, NodeId } from "../kademlia/mod.ts";
import { LivenessPolicy } from "./liveness_policy.ts";
import { HealthRegistry } from "./registry.ts";

const peer = (n: number): Contact => ({ id: NodeId.fromValue(BigInt(n)), host: "127.0.0.1", port: 4000 + n });
const FAST_MS = 30_000;

/** A policy on a clock that moves only when told to. */
function policyAt(startMs = 1_000_000) {
  const clock = { ms: startMs };
  const registry = new HealthRegistry();
  const policy = new LivenessPolicy({ registry, fastIntervalMs: FAST_MS, now: () => clock.ms });
  const failFast = (contact: Contact) =>
    registry.record(contact, { level: "fast", ok: false, atMs: clock.ms, durationMs: 1, failure: "no answer" });
  return { clock, registry, policy, failFast };
}

Deno.test("LivenessPolicy removes a contact heard from before at its second failed fast check, not its first", () => {
  const { clock, policy } = policyAt();
  const a = peer(1);
  const seenMs = clock.ms - 60_000;
  assert.equal(policy.judge(a, false, seenMs, 20), false, "a first failure only makes a suspect");
  assert.equal(policy.suspects, 1);
  assert.equal(policy.suspectedAtMs(a), clock.ms);
  clock.ms += 3_000;
  assert.equal(policy.judge(a, false, seenMs, 20), true, "the second failure removes it");
  assert.equal(policy.suspects, 0);
});

Deno.test("LivenessPolicy removes a contact only heard of at its first failure, and clears a suspect that answers", () => {
  const { policy } = policyAt();
  assert.equal(policy.judge(peer(1), false, 0, 20), true);
  assert.equal(policy.judge(peer(2), false, 5, 20), false);
  assert.equal(policy.judge(peer(2), true, 5, 20), false);
  assert.equal(policy.suspectedAtMs(peer(2)), undefined, "an answer clears the suspicion");
  assert.equal(policy.judge(peer(2), false, 5, 20), false, "so the next failure is a first one again");
});

Deno.test("LivenessPolicy stops removing when half the table went within one fast interval", () => {
  const { clock, policy } = policyAt();
  // 3 of a table of 6 contacts removed: 3 lost >= half of the 3 left + 3 lost.
  for (let n = 1; n <= 3; n++) {
    assert.equal(policy.judge(peer(n), false, 0, 6 - n), true);
    policy.removed();
  }
  assert.equal(policy.judge(peer(4), false, 0, 3), false, "a partition is suspected: the contact is kept");
  clock.ms += FAST_MS + 1;
  assert.equal(policy.judge(peer(5), false, 0, 3), true, "a fast interval later the losses no longer count");
});

Deno.test("LivenessPolicy quarantines a contact found dead for two fast intervals, but not a suspect", () => {
  const { clock, policy, failFast } = policyAt();
  const dead = peer(1);
  assert.equal(policy.quarantined(dead), false, "an unknown contact is admitted");
  failFast(dead);
  assert.equal(policy.quarantined(dead), true);
  policy.missedAnswer(dead, clock.ms);
  assert.equal(policy.quarantined(dead), false, "a suspect is in doubt, not dead");
  policy.forget(dead);
  clock.ms += 2 * FAST_MS - 1;
  assert.equal(policy.quarantined(dead), true);
  clock.ms += 1;
  assert.equal(policy.quarantined(dead), false, "the quarantine is over");
});

Deno.test("LivenessPolicy counts a contact heard from within the fast interval in force as alive", () => {
  const { clock, policy } = policyAt();
  assert.equal(policy.heardRecently(undefined), false);
  assert.equal(policy.heardRecently(clock.ms - FAST_MS + 1), true);
  assert.equal(policy.heardRecently(clock.ms - FAST_MS), false);
  policy.recentMs = 2 * FAST_MS;
  assert.equal(policy.heardRecently(clock.ms - FAST_MS), true, "a longer fast interval, set live, counts");
});

Deno.test("LivenessPolicy.missedAnswer() keeps the time a contact first became a suspect", () => {
  const { clock, policy } = policyAt();
  policy.missedAnswer(peer(1), clock.ms - 100);
  policy.missedAnswer(peer(1), clock.ms);
  assert.equal(policy.suspectedAtMs(peer(1)), clock.ms - 100);
});
