import assert from "node:assert/strict";
import { RpcTimeoutError } from "../core/net/mod.ts";
import { SimCluster } from "../sim/cluster.ts";
import { World } from "../sim/world.ts";

/**
 * A process frozen past a request's timeout (a loaded machine's event loop) resumes with the answer unread in its
 * socket, and the simulated runtime, like a real one, may fire the expired timer first. The request is answered: the
 * late timer gives the socket's backlog a turn before calling the peer silent. Before, such requests timed out, the
 * lookups that made them dropped live contacts, and Alice's check after a startup missed workers.
 */
Deno.test("a request whose process stalled past its timeout takes the answer that arrived meanwhile", async () => {
  using world = new World({ seed: 1 });
  const cluster = new SimCluster(world, { services: false });
  const asker = cluster.spawn("worker");
  const answerer = cluster.spawn("worker");
  // The asker freezes from 10 ms to 1.5 s, well past the 500 ms timeout; the answer comes in a few ms.
  world.scheduler.frozenUntil = (ctx, t) => ctx === asker.ctx && t >= 10 && t < 1500 ? 1500 : undefined;
  const outcomes: Array<string> = [];
  cluster.act(0, asker, (node) => node.ping(answerer.node.address, { timeoutMs: 500 }), (result) => {
    outcomes.push(result instanceof Error ? result.name : `answered by ${result.hex.slice(0, 8)}`);
  });
  // A peer that never answers still times out, one grace later.
  cluster.act(0, asker, (node) => node.ping({ host: "10.9.9.9", port: 4000 }, { timeoutMs: 500 }), (result) => {
    outcomes.push(result instanceof RpcTimeoutError ? `silent after ${world.scheduler.now} ms` : String(result));
  });
  await world.runUntil(5);
  assert.deepEqual(outcomes.sort(), [`answered by ${answerer.node.id.hex.slice(0, 8)}`, "silent after 2000 ms"]);
  assert.equal(asker.node.transport.stats.timeouts, 1);
  assert.equal(asker.node.transport.stats.lateTimers, 2);
});
