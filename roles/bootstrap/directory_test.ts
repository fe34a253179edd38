import assert from "node:assert/strict";
import { FakeClock } from "./_test_util.ts";
import { DEAD_AFTER_HEARTBEATS, Directory } from "./directory.ts";
import type { BootstrapInfo } from "./info.ts";
import type { Tier } from "./tier.ts";

const HEARTBEAT_MS = 1000;

function info(n: number, tier: Tier = "local", load = 0): BootstrapInfo {
  return {
    tier,
    region: "",
    name: `${tier}-${n}`,
    id: n.toString(16).padStart(40, "0"),
    host: "127.0.0.1",
    port: 6000 + n,
    load,
    capacity: 50,
  };
}

function directory(clock: FakeClock): Directory {
  return new Directory({ selfId: info(0).id, heartbeatMs: HEARTBEAT_MS, now: clock.now });
}

const alive = (d: Directory) => d.entries().filter((e) => e.alive).map((e) => e.name);

Deno.test("Directory marks an entry dead after 3 heartbeats without news and forgets it after 6", () => {
  const clock = new FakeClock();
  const d = directory(clock);
  d.heardFromChild(info(1), [info(2)], "10.0.0.1");
  assert.deepEqual(d.entries()[0], { ...info(1), alive: true, lastSeenMs: clock.now() });
  clock.advance(DEAD_AFTER_HEARTBEATS * HEARTBEAT_MS - 1);
  assert.deepEqual(alive(d), ["local-1", "local-2"]);
  clock.advance(1);
  assert.deepEqual(alive(d), []);
  assert.deepEqual(d.candidates().map((c) => c.alive), [false, false]);
  d.prune();
  assert.equal(d.size, 2, "dead entries are kept a while");
  clock.advance(DEAD_AFTER_HEARTBEATS * HEARTBEAT_MS);
  d.prune();
  assert.equal(d.size, 0);
});

Deno.test("Directory.heardFromParent() learns the tree above but never revives the subtree or lists itself", () => {
  const clock = new FakeClock();
  const d = directory(clock);
  d.heardFromChild(info(1), [], "10.0.0.1");
  clock.advance(DEAD_AFTER_HEARTBEATS * HEARTBEAT_MS);
  d.heardFromParent([info(0, "regional"), info(1, "local", 9), info(5, "regional")]);
  assert.deepEqual(alive(d), ["regional-5"]);
  assert.deepEqual(d.subtree(), [], "only live subtree entries are announced upward");
  d.heardFromChild(info(1, "local", 4), [], "10.0.0.1");
  assert.deepEqual(d.subtree(), [info(1, "local", 4)]);
});

Deno.test("Directory.promise() counts joiners handed a node until its next report", () => {
  const clock = new FakeClock();
  const d = directory(clock);
  d.heardFromChild(info(1), [], "10.0.0.1");
  d.promise(info(1).id);
  d.promise(info(1).id);
  d.promise(info(9).id);
  assert.deepEqual(d.candidates().map((c) => c.promised), [2]);
  d.heardFromChild(info(1, "local", 2), [], "10.0.0.1");
  assert.deepEqual(d.candidates().map((c) => [c.info.load, c.promised]), [[2, 0]]);
});
