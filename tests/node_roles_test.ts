/**
 * `cqkd node` runs each role in full, one node per process as a container does: workers serve the key-exchange
 * roles, Alice runs a key exchange with a Bob in another process through her admin API.
 */
import assert from "node:assert/strict";
import { freePort, NodeProcess } from "./_cli.ts";

const TOKEN = "node-roles-test-token";

/** Starts `cqkd node ARGS` and waits for its `event` (`ready` by default), returning the process and its events. */
async function started(args: string[]): Promise<{ process: NodeProcess; events: Record<string, unknown>[] }> {
  const process = new NodeProcess([...args, "--set", `admin_token=${TOKEN}`, "--set", "rpc_timeout=1"]);
  const events: Record<string, unknown>[] = [];
  while (events.at(-1)?.event !== "ready") events.push(await process.event());
  return { process, events };
}

Deno.test("cqkd node: workers, Bob and Alice in separate processes agree on a key through POST /generate-key", async () => {
  const seedPort = freePort();
  const processes: NodeProcess[] = [];
  try {
    const seed = await started(["super-bootstrap", "--port", String(seedPort), "--bootstrap", "127.0.0.1:1"]);
    processes.push(seed.process);
    assert.deepEqual(seed.events.at(-1)!.services, [], "a bootstrap node runs no key-exchange role");
    const join = ["--port", "0", "--bootstrap", `127.0.0.1:${seedPort}`];
    const workers = await Promise.all(Array.from({ length: 7 }, () => started(["worker", ...join])));
    processes.push(...workers.map((w) => w.process));
    assert.deepEqual(workers[0]!.events.at(-1)!.services, ["worker"]);
    const bob = await started(["bob", ...join]);
    processes.push(bob.process);
    const bobAddress = bob.events.find((e) => e.event === "listening")!.address as string;
    const alice = await started(["alice", ...join, "--set", `bob_address=${bobAddress}`]);
    processes.push(alice.process);
    const aliceAdmin = alice.events.find((e) => e.event === "listening")!.admin as string;
    const bobAdmin = bob.events.find((e) => e.event === "listening")!.admin as string;

    const request = (token?: string) =>
      fetch(`${aliceAdmin}/generate-key`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ desired_key_length: 64 }),
      });
    const refused = await request();
    assert.equal(refused.status, 401, "a key exchange is a mutation: it needs the token");
    await refused.body?.cancel();

    const response = await request(TOKEN);
    const report = await response.json();
    assert.equal(response.status, 200, JSON.stringify(report));
    assert.equal(report.ok, true, report.reason);
    assert.equal(report.compared, "by confirmation", "Bob runs in another process");
    assert.equal(report.alice.bits, 64);
    assert.ok(report.workers >= 6, `workers used: ${report.workers}`);

    // Bob's side, read from his own process: the same key.
    const bobSession = await (await fetch(`${bobAdmin}/sessions/${report.session}`)).json();
    assert.equal(bobSession.role, "bob");
    assert.equal(bobSession.ok, true);
    assert.equal(bobSession.bob.bits, 64);
    assert.equal(bobSession.bob.fingerprint, report.alice.fingerprint);
    const aliceSession = await (await fetch(`${aliceAdmin}/sessions/${report.session}`)).json();
    assert.equal(aliceSession.role, "alice");
    assert.equal(aliceSession.alice.fingerprint, report.alice.fingerprint);

    const unknown = await fetch(`${aliceAdmin}/sessions/0000000000000000`);
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const bad = await fetch(`${aliceAdmin}/generate-key`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ desired_key_length: "many" }),
    });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /desired_key_length/);
  } finally {
    const stopped = await Promise.all(processes.map((p) => p.stop()));
    for (const { code } of stopped) assert.equal(code, 0);
  }
});
