import assert from "node:assert/strict";
import { loadSettings } from "../../core/config/mod.ts";
import { Logger } from "../../core/log.ts";
import { waitFor } from "../../tests/_wait_for.ts";
import { Fleet } from "./fleet.ts";
import type { NodeSpec } from "./plan.ts";

/** A port free a moment ago: nobody listens on it, and a node may bind it. */
function freePort(): number {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (conn.addr as Deno.NetAddr).port;
  conn.close();
  return port;
}

const spec = (name: string, role: NodeSpec["role"], seeds: NodeSpec["seeds"] = []): NodeSpec => ({
  name,
  role,
  port: freePort(),
  region: "",
  seeds,
  fallback: [],
});

const stateOf = (fleet: Fleet, name: string) => fleet.statuses().find((s) => s.name === name)?.state;

Deno.test("Fleet.stop() aborts a join under way: the node's start slot goes to the next node at once", async () => {
  const settings = await loadSettings({ env: {} });
  // One start at a time; the join through a silent seed would retry for a minute if nothing aborted it.
  await using fleet = new Fleet({
    settings,
    log: new Logger("error"),
    concurrency: 1,
    attemptTimeoutMs: 100,
    joinDeadlineMs: 60_000,
  });
  const silentSeed = { address: `127.0.0.1:${freePort()}`, tier: "super" as const };
  fleet.start([spec("stuck", "regional-bootstrap", [silentSeed]), spec("next", "super-bootstrap")]);
  await waitFor(() => stateOf(fleet, "stuck") === "joining", { timeoutMs: 5000, what: "the first node joins" });
  assert.equal(stateOf(fleet, "next"), "starting", "the second node waits for the start slot");
  assert.equal(await fleet.stop({ names: ["stuck"] }), 1);
  await waitFor(() => stateOf(fleet, "next") === "ready", { timeoutMs: 5000, what: "the second node is ready" });
  assert.equal(stateOf(fleet, "stuck"), "stopped");
});

Deno.test("Fleet stops its nodes when disposed", async () => {
  const settings = await loadSettings({ env: {} });
  let disposed: Fleet;
  {
    await using fleet = new Fleet({ settings, log: new Logger("error") });
    disposed = fleet;
    fleet.start([spec("solo", "super-bootstrap")]);
    await waitFor(() => stateOf(fleet, "solo") === "ready", { timeoutMs: 5000, what: "the node is ready" });
    assert.equal(fleet.nodes().length, 1);
  }
  assert.equal(stateOf(disposed, "solo"), "stopped");
  assert.deepEqual(disposed.nodes(), [], "its socket is closed");
});
