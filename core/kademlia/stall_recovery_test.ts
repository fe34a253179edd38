import assert from "node:assert/strict";
import pLimit from "p-limit";
import { World } from "../../sim/world.ts";
import { ANNOUNCE_INTERVAL_MS, StallRecovery } from "./stall_recovery.ts";

const ANNOUNCE_AFTER_STALL_MS = 1000;

Deno.test("a node announces itself after stalls of a second or more, at most once every 30 s", async () => {
  using world = new World({ seed: 1 });
  const announcedAt: number[] = [];
  const recovery = new StallRecovery(
    ANNOUNCE_AFTER_STALL_MS,
    () => Promise.resolve(announcedAt.push(world.scheduler.now)),
  );
  // Stalls of (virtual ms, how late): short ones are ignored, long ones announce unless one did lately.
  const stalls: Array<[number, number]> = [
    [1000, 200],
    [2000, ANNOUNCE_AFTER_STALL_MS],
    [5000, 3000],
    [2000 + ANNOUNCE_INTERVAL_MS, 1500],
    [2500 + ANNOUNCE_INTERVAL_MS, 400],
  ];
  for (const [at, late] of stalls) world.scheduler.at(at, 0, () => recovery.stalled(late));
  await world.runUntil(60);
  assert.deepEqual(announcedAt, [2000, 2000 + ANNOUNCE_INTERVAL_MS]);
});

Deno.test("a failed announcement is no unhandled rejection", async () => {
  using world = new World({ seed: 2 });
  let tries = 0;
  const recovery = new StallRecovery(1000, () => Promise.reject(new Error(`lookup failed ${++tries}`)));
  world.scheduler.at(10, 0, () => recovery.stalled(5000));
  await world.runUntil(1);
  assert.equal(tries, 1);
});

Deno.test("the nodes of one process share a limiter: one stall starts their announcements in turns", async () => {
  using world = new World({ seed: 3 });
  let running = 0;
  let most = 0;
  let done = 0;
  const limiter = pLimit(2); // what a host process gives its nodes
  const announce = async () => {
    most = Math.max(most, ++running);
    await new Promise((resolve) => world.scheduler.at(world.scheduler.now + 100, 0, () => resolve(undefined)));
    running--;
    done++;
  };
  const nodes = Array.from(
    { length: 10 },
    () => StallRecovery.of({ liveness: { announceAfterStallMs: 1000 }, stallAnnouncements: limiter }, announce)!,
  );
  world.scheduler.at(10, 0, () => nodes.forEach((n) => n.stalled(2000)));
  await world.runUntil(5);
  assert.equal(done, 10);
  assert.equal(most, 2);
});
