import assert from "node:assert/strict";
import type { BootstrapInfo } from "./info.ts";
import { type Candidate, rankCandidates, spareCapacity } from "./load_balancer.ts";
import type { Tier } from "./tier.ts";

let next = 0;
/** A live candidate with a fresh id. */
function candidate(tier: Tier, load: number, capacity: number, extra: Partial<Candidate> = {}): Candidate {
  const id = (next++).toString(16).padStart(40, "0");
  const info: BootstrapInfo = {
    tier,
    region: "",
    name: `${tier}-${load}`,
    id,
    host: "127.0.0.1",
    port: 1,
    load,
    capacity,
  };
  return { info, alive: true, promised: 0, ...extra };
}

const names = (infos: BootstrapInfo[]) => infos.map((i) => i.name);

Deno.test("rankCandidates() puts the home tier first, then the nearest tiers, the one nearer the root on a tie", () => {
  const all = [candidate("super", 0, 500), candidate("local", 0, 50), candidate("regional", 0, 250)];
  assert.deepEqual(names(rankCandidates(all, "local")), ["local-0", "regional-0", "super-0"]);
  assert.deepEqual(names(rankCandidates(all, "regional")), ["regional-0", "super-0", "local-0"]);
  assert.deepEqual(names(rankCandidates(all, "super")), ["super-0", "regional-0", "local-0"]);
});

Deno.test("rankCandidates() orders a tier by spare capacity, promised joiners counted", () => {
  const a = candidate("local", 10, 50); // spare 40
  const b = candidate("local", 5, 50, { promised: 20 }); // spare 25
  const c = candidate("local", 0, 30); // spare 30
  assert.deepEqual(rankCandidates([a, b, c], "local").map((i) => i.load), [10, 0, 5]);
  assert.equal(spareCapacity(b), 25);
});

Deno.test("rankCandidates() never returns a full or dead node, nor one id twice", () => {
  const full = candidate("local", 50, 50);
  const promisedFull = candidate("local", 40, 50, { promised: 10 });
  const dead = candidate("local", 0, 50, { alive: false });
  const live = candidate("local", 1, 50);
  const twice = { ...live, info: { ...live.info, load: 0 } };
  assert.deepEqual(rankCandidates([full, promisedFull, dead, live, twice], "local"), [live.info]);
  const deadFirst = { ...dead, info: { ...dead.info, id: live.info.id } };
  assert.deepEqual(rankCandidates([deadFirst, live], "local"), [], "the first occurrence of an id decides");
});

Deno.test("rankCandidates() returns at most count nodes", () => {
  const all = Array.from({ length: 10 }, (_, i) => candidate("local", i, 50));
  assert.deepEqual(rankCandidates(all, "local", 3).map((i) => i.load), [0, 1, 2]);
  assert.deepEqual(rankCandidates(all, "local", 0), []);
});
