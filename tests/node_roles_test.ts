/**
 * `cqkd node` runs each role in full, one node per process as a container does: workers serve the key-exchange
 * roles, Alice runs a key exchange with a Bob in another process through her admin API.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cqkd, freePort, NodeProcess } from "./_cli.ts";

const TOKEN = "node-roles-test-token";

/** Starts `cqkd node ARGS` and waits for its `event` (`ready` by default), returning the process and its events. */
async function started(args: string[]): Promise<{ process: NodeProcess; events: Record<string, unknown>[] }> {
  const process = new NodeProcess([...args, "--set", `admin_token=${TOKEN}`, "--set", "rpc_timeout=1"]);
  const events: Record<string, unknown>[] = [];
  while (events.at(-1)?.event !== "ready") events.push(await process.event());
  return { process, events };
}

/**
 * Identity keys for Alice and Bob in `stateDir` (where `cqkd node` finds them), each certified for its role by a
 * fresh authority with `cqkd secret certify --role`: the settings each of them runs with.
 */
async function certifiedParties(stateDir: string): Promise<Record<"alice" | "bob", string[]>> {
  const run = async (args: string[]) => {
    const outcome = await cqkd(args);
    assert.equal(outcome.code, 0, outcome.stderr);
    return outcome.stdout.trim();
  };
  await Deno.mkdir(join(stateDir, "identity"), { recursive: true });
  const authorityFile = join(stateDir, "authority.key");
  const authority = await run(["secret", "authority", authorityFile]);
  const settings = async (role: "alice" | "bob") => {
    const key = await run(["secret", "authority", join(stateDir, "identity", `${role}.key`)]);
    const certificate = await run(["secret", "certify", key, "--authority", authorityFile, "--role", role]);
    return [
      "--set",
      `state_dir=${stateDir}`,
      "--set",
      `keygen_authority_key=${authority}`,
      "--set",
      `role_certificate=${certificate}`,
    ];
  };
  return { alice: await settings("alice"), bob: await settings("bob") };
}

Deno.test("cqkd node: workers, Bob and Alice in separate processes agree on a key through POST /generate-key", async () => {
  const seedPort = freePort();
  const processes: NodeProcess[] = [];
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-node-roles-" });
  try {
    const parties = await certifiedParties(stateDir);
    const seed = await started(["super-bootstrap", "--port", String(seedPort), "--bootstrap", "127.0.0.1:1"]);
    processes.push(seed.process);
    assert.deepEqual(seed.events.at(-1)!.services, [], "a bootstrap node runs no key-exchange role");
    const join = ["--port", "0", "--bootstrap", `127.0.0.1:${seedPort}`];
    const workers = await Promise.all(Array.from({ length: 7 }, () => started(["worker", ...join])));
    processes.push(...workers.map((w) => w.process));
    assert.deepEqual(workers[0]!.events.at(-1)!.services, ["worker"]);
    const bob = await started(["bob", ...join, ...parties.bob]);
    processes.push(bob.process);
    const bobAddress = bob.events.find((e) => e.event === "listening")!.address as string;
    const alice = await started(["alice", ...join, ...parties.alice, "--set", `bob_address=${bobAddress}`]);
    processes.push(alice.process);
    const aliceAdmin = alice.events.find((e) => e.event === "listening")!.admin as string;
    const bobAdmin = bob.events.find((e) => e.event === "listening")!.admin as string;

    const request = (token?: string, bits = 128) =>
      fetch(`${aliceAdmin}/generate-key`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ desired_key_length: bits }),
      });
    const refused = await request();
    assert.equal(refused.status, 401, "a key exchange is a mutation: it needs the token");
    await refused.body?.cancel();

    const response = await request(TOKEN);
    const report = await response.json();
    assert.equal(response.status, 200, JSON.stringify(report));
    assert.equal(report.ok, true, report.reason);
    assert.equal(report.compared, "by confirmation", "Bob runs in another process");
    assert.equal(report.confirmed, true);
    assert.equal(report.keys_equal, null, "Alice did not see Bob's key, so she does not claim it equal");
    assert.equal(report.alice.bits, 128);
    assert.equal(report.alice.key, undefined);
    assert.match(report.key_id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(report.workers >= 6, `workers used: ${report.workers}`);

    // A session report needs a token, even where reads are open.
    const read = (admin: string, token?: string) =>
      fetch(`${admin}/sessions/${report.session}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    for (const admin of [aliceAdmin, bobAdmin]) {
      const anonymous = await read(admin);
      assert.equal(anonymous.status, 401);
      await anonymous.body?.cancel();
    }
    // Bob's side, read from his own process: the same key id and fingerprint, and no key material.
    const bobText = await (await read(bobAdmin, TOKEN)).text();
    const bobSession = JSON.parse(bobText);
    assert.equal(bobSession.role, "bob");
    assert.equal(bobSession.ok, true);
    assert.equal(bobSession.key_id, report.key_id);
    assert.equal(bobSession.bob.bits, 128);
    assert.equal(bobSession.bob.fingerprint, report.alice.fingerprint);
    assert.doesNotMatch(bobText, /"key"/);
    const aliceText = await (await read(aliceAdmin, TOKEN)).text();
    const aliceSession = JSON.parse(aliceText);
    assert.equal(aliceSession.role, "alice");
    assert.equal(aliceSession.alice.fingerprint, report.alice.fingerprint);
    assert.doesNotMatch(aliceText, /"key"/);

    const tooShort = await request(TOKEN, 63);
    assert.equal(tooShort.status, 400, "keys are at least 64 bits");
    await tooShort.body?.cancel();

    const unknown = await fetch(`${aliceAdmin}/sessions/0000000000000000`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
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
    await Deno.remove(stateDir, { recursive: true });
  }
});
