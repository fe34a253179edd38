import assert from "node:assert/strict";
import { mulberry32 } from "../../tests/_prng.ts";
import { type Contact, sortByDistance } from "./contact.ts";
import { iterativeLookup, type QueryAnswer, type QueryFn } from "./lookup.ts";
import { NodeId } from "./node_id.ts";
import { RoutingTable } from "./routing_table.ts";

const K = 8;

/** A network of `size` nodes in memory, each with a full k-bucket routing table of every other node. */
function simulatedNetwork(size: number, seed: number) {
  const rand = mulberry32(seed);
  const randomId = () => NodeId.fromBytes(Uint8Array.from({ length: 20 }, () => Math.floor(rand() * 256)));
  const nodes: Contact[] = Array.from(
    { length: size },
    (_, i) => ({ id: randomId(), host: `10.0.${i >> 8}.${i & 255}`, port: 1 + i }),
  );
  const tables = new Map<string, RoutingTable>();
  for (const node of nodes) {
    const table = new RoutingTable(node.id, { k: K });
    for (const other of nodes) table.add(other);
    tables.set(node.id.hex, table);
  }
  /** find_node as a node answers it: its k closest, the requester left out. */
  const answer = (contact: Contact, target: NodeId, requester: NodeId): QueryAnswer => ({
    contacts: tables.get(contact.id.hex)!.closest(target, K, requester),
  });
  const truth = (target: NodeId, without: (c: Contact) => boolean) =>
    sortByDistance(nodes.filter((c) => !without(c)), target).slice(0, K);
  return { nodes, tables, answer, truth, randomId, rand };
}

const hexes = (contacts: Contact[]) => contacts.map((c) => c.id.hex);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("iterativeLookup() finds the true k closest nodes of a simulated network", async () => {
  const net = simulatedNetwork(200, 1);
  for (let round = 0; round < 20; round++) {
    const self = net.nodes[round]!;
    const target = net.randomId();
    const asked: string[] = [];
    const query: QueryFn = (c) => {
      asked.push(c.id.hex);
      return Promise.resolve(net.answer(c, target, self.id));
    };
    const seeds = net.tables.get(self.id.hex)!.closest(target, K);
    const result = await iterativeLookup(target, seeds, query, { k: K, alpha: 3, self: self.id });
    assert.deepEqual(hexes(result.closest), hexes(net.truth(target, (c) => c.id.equals(self.id))));
    assert.deepEqual(result.failed, []);
    assert.equal(result.found, undefined);
    assert.equal(result.queried, asked.length);
    assert.equal(new Set(asked).size, asked.length, "nobody is asked twice");
    assert.ok(!asked.includes(self.id.hex), "we never ask ourselves");
    assert.ok(result.queried < 200, `asked ${result.queried} of 200`);
  }
});

Deno.test("iterativeLookup() goes around contacts that fail and reports them", async (t) => {
  const net = simulatedNetwork(200, 2);
  const run = async (round: number, othersForgotTheDead: boolean) => {
    const self = net.nodes[round]!;
    const target = net.randomId();
    // The three closest nodes are down, and a fifth of the rest.
    const closestAll = net.truth(target, (c) => c.id.equals(self.id));
    // By id: the tables keep copies of the contacts they were given.
    const dead = new Set([...closestAll.slice(0, 3), ...net.nodes.filter(() => net.rand() < 0.2)].map((c) => c.id.hex));
    dead.delete(self.id.hex);
    const query: QueryFn = async (c) => {
      await tick();
      if (dead.has(c.id.hex)) throw new Error("no answer");
      if (!othersForgotTheDead) return net.answer(c, target, self.id);
      const known = net.tables.get(c.id.hex)!.closest(target, Infinity, self.id);
      return { contacts: known.filter((x) => !dead.has(x.id.hex)).slice(0, K) };
    };
    // Our own (stale) table still holds the closest dead ones.
    const seeds = [...closestAll.slice(0, 3), ...net.tables.get(self.id.hex)!.closest(target, K)];
    const result = await iterativeLookup(target, seeds, query, { k: K, alpha: 3, self: self.id });
    for (const failed of result.failed) assert.ok(dead.has(failed.id.hex));
    for (const down of closestAll.slice(0, 3)) {
      assert.ok(hexes(result.failed).includes(down.id.hex), "the closest dead were asked");
    }
    return { result, live: net.truth(target, (c) => c.id.equals(self.id) || dead.has(c.id.hex)), closestAll, dead };
  };
  await t.step("the others no longer name the dead: the k closest live are found", async () => {
    for (let round = 0; round < 10; round++) {
      const { result, live } = await run(round, true);
      assert.deepEqual(hexes(result.closest), hexes(live));
    }
  });
  await t.step("everyone still names the dead: the closest live ones named are found, without gaps", async () => {
    for (let round = 10; round < 20; round++) {
      const { result, live, closestAll, dead } = await run(round, false);
      // Nobody names a node beyond its k closest, so only the live ones among those are sure to be found.
      const named = closestAll.filter((c) => !dead.has(c.id.hex));
      assert.ok(result.closest.length >= named.length);
      assert.deepEqual(hexes(result.closest), hexes(live.slice(0, result.closest.length)));
    }
  });
});

Deno.test("iterativeLookup() stops at the first value and starts no query after it", async () => {
  const net = simulatedNetwork(200, 3);
  const self = net.nodes[0]!;
  const target = net.randomId();
  const holder = net.truth(target, (c) => c.id.equals(self.id))[4]!;
  let valueSeen = false;
  let askedAfterValue = 0;
  const query: QueryFn = async (c) => {
    if (valueSeen) askedAfterValue++;
    await tick();
    if (c.id.equals(holder.id)) {
      valueSeen = true;
      return { value: "found it" };
    }
    return net.answer(c, target, self.id);
  };
  const seeds = net.tables.get(self.id.hex)!.closest(target, K);
  const result = await iterativeLookup(target, seeds, query, { k: K, alpha: 3, self: self.id });
  assert.deepEqual(result.found, { value: "found it", from: holder });
  assert.equal(askedAfterValue, 0);
  assert.ok(hexes(result.closest).includes(holder.id.hex));
});

Deno.test("iterativeLookup() never has more than alpha queries in flight", async (t) => {
  for (const alpha of [1, 3, 5]) {
    await t.step(`alpha ${alpha}`, async () => {
      const net = simulatedNetwork(150, 4 + alpha);
      const self = net.nodes[0]!;
      const target = net.randomId();
      let inFlight = 0;
      let most = 0;
      const query: QueryFn = async (c) => {
        most = Math.max(most, ++inFlight);
        try {
          // Answers come back in a scrambled order.
          for (let i = Math.floor(net.rand() * 4); i >= 0; i--) await tick();
          return net.answer(c, target, self.id);
        } finally {
          inFlight--;
        }
      };
      // Seeds from far away, so that the lookup needs several rounds.
      const seeds = net.nodes.slice(1, 20);
      const result = await iterativeLookup(target, seeds, query, { k: K, alpha, self: self.id });
      assert.equal(most, alpha);
      assert.equal(inFlight, 0);
      assert.deepEqual(hexes(result.closest), hexes(net.truth(target, (c) => c.id.equals(self.id))));
    });
  }
});

Deno.test("iterativeLookup() with stallMs finishes without the contacts that never answer", async () => {
  const net = simulatedNetwork(150, 11);
  const self = net.nodes[0]!;
  const target = net.randomId();
  const silent = new Set(net.truth(target, (c) => c.id.equals(self.id)).slice(0, 3).map((c) => c.id.hex));
  const hang = Promise.withResolvers<never>();
  hang.promise.catch(() => {});
  const query: QueryFn = async (c) => {
    if (silent.has(c.id.hex)) return await hang.promise;
    await tick();
    return net.answer(c, target, self.id);
  };
  try {
    const seeds = net.tables.get(self.id.hex)!.closest(target, K);
    const result = await iterativeLookup(target, seeds, query, { k: K, alpha: 3, self: self.id, stallMs: 20 });
    for (const hex of silent) assert.ok(!hexes(result.closest).includes(hex));
    assert.deepEqual(result.failed, [], "a stalled contact has not failed");
    const live = net.truth(target, (c) => c.id.equals(self.id) || silent.has(c.id.hex));
    assert.deepEqual(hexes(result.closest), hexes(live.slice(0, result.closest.length)));
    assert.ok(result.closest.length >= K - 3);
  } finally {
    hang.reject(new Error("test over"));
  }
});

Deno.test("iterativeLookup() rejects with the signal's reason when aborted", async (t) => {
  const net = simulatedNetwork(100, 9);
  const target = net.randomId();
  await t.step("during the lookup", async () => {
    const controller = new AbortController();
    const reason = new Error("enough");
    let calls = 0;
    const query: QueryFn = async (c) => {
      if (++calls === 5) controller.abort(reason);
      await tick();
      return net.answer(c, target, net.nodes[0]!.id);
    };
    const lookup = iterativeLookup(target, net.nodes.slice(1, 30), query, {
      k: K,
      alpha: 3,
      signal: controller.signal,
    });
    await assert.rejects(lookup, (error) => error === reason);
    const callsAtAbort = calls;
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(calls, callsAtAbort, "no query is started after the abort");
  });
  await t.step("already aborted", async () => {
    const query: QueryFn = () => assert.fail("no query expected");
    const signal = AbortSignal.abort(new DOMException("stop", "AbortError"));
    await assert.rejects(iterativeLookup(target, net.nodes, query, { k: K, alpha: 3, signal }), { name: "AbortError" });
  });
});

Deno.test("iterativeLookup() without seeds ends at once with nothing", async () => {
  const result = await iterativeLookup(NodeId.random(), [], () => assert.fail("no query expected"), { k: K, alpha: 3 });
  assert.deepEqual(result, { closest: [], failed: [], queried: 0, hops: 0 });
});
