/**
 * The `cqkd` CLI as a user runs it: real processes (`deno run main.ts …`) talking UDP on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { SigningIdentity } from "../core/crypto/mod.ts";
import { formatKeyringEnv, loadKeyringFile } from "../core/security/mod.ts";
import { cqkd, freePort, loneSuperNode, NodeProcess } from "./_cli.ts";

Deno.test("cqkd node and cqkd dht: a worker joins a bootstrap node, put/get/find-node work, get of a missing key exits 1", async () => {
  const port = freePort();
  const { node: seed } = await loneSuperNode(port);
  let worker: NodeProcess | undefined;
  try {
    worker = new NodeProcess(["worker", "--port", "0", "--bootstrap", `127.0.0.1:${port}`]);
    const listening = await worker.event();
    assert.equal(listening.role, "worker");
    // Every node process serves the admin API: the legacy network status of this worker, and a refused mutation.
    const status = await (await fetch(`${listening.admin}/network-status`)).json();
    assert.equal(status.node_id, listening.id);
    const refused = await fetch(`${listening.admin}/dht/x`, { method: "PUT", body: '{"value":1}' });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const joined = await worker.event();
    assert.equal(joined.event, "joined");
    assert.deepEqual(joined.reached, [`127.0.0.1:${port}`]);
    assert.equal(joined.attachedTo, "super-bootstrap", "the super bootstrap node admitted it (no lower tier runs)");

    const bootstrap = ["--bootstrap", `127.0.0.1:${port}`];
    const put = await cqkd(["dht", "put", "hello", "world", ...bootstrap, "--json"]);
    assert.equal(put.code, 0, put.stderr);
    const stored = JSON.parse(put.stdout);
    assert.equal(stored.dht_key, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
    assert.equal(stored.replicas, 2);

    const get = await cqkd(["dht", "get", "hello", ...bootstrap]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout.trim(), "world");

    const missing = await cqkd(["dht", "get", "no-such-key", ...bootstrap, "--json"]);
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.stdout).found, false);

    const ping = await cqkd(["dht", "ping", `127.0.0.1:${port}`, "--json"]);
    assert.equal(ping.code, 0, ping.stderr);
    const seedId = JSON.parse(ping.stdout).id;
    const found = await cqkd(["dht", "find-node", "--key", "hello", ...bootstrap, "--json"]);
    assert.equal(found.code, 0, found.stderr);
    const ids = JSON.parse(found.stdout).closest.map((c: { id: string }) => c.id).sort();
    assert.deepEqual(ids, [listening.id, seedId].sort());

    const typed = await cqkd(["dht", "put", "n", "12x", "--type", "number", ...bootstrap]);
    assert.equal(typed.code, 2);
    assert.match(typed.stderr, /Cannot read the value "12x" as a finite number/);
  } finally {
    const stopped = worker ? await worker.stop() : undefined;
    const seedStopped = await seed.stop();
    assert.equal(seedStopped.code, 0);
    assert.equal(seedStopped.last?.event, "stopped");
    if (stopped) assert.equal(stopped.code, 0);
  }
});

Deno.test("cqkd node refuses a port in use and a network nobody answers, naming what it tried", async (t) => {
  const port = freePort();
  const held = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
  try {
    await t.step("port in use", async () => {
      const out = await cqkd(["node", "worker", "--port", String(port), "--bootstrap", "127.0.0.1:1"]);
      assert.equal(out.code, 2);
      assert.match(out.stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
    });
    await t.step("nobody answers", async () => {
      const out = await cqkd([
        "node",
        "worker",
        "--port",
        "0",
        "--bootstrap",
        `127.0.0.1:${port}`,
        "--set",
        "rpc_timeout=0.2",
      ]);
      assert.equal(out.code, 2);
      assert.match(
        out.stderr,
        new RegExp(`Cannot join the network: 127\\.0\\.0\\.1:${port} timeout: no answer within`),
      );
    });
  } finally {
    held.close();
  }
});

Deno.test("cqkd rejects bad usage and bad configuration with exit code 2 and a clear message", async (t) => {
  await t.step("unknown flag", async () => {
    const out = await cqkd(["node", "worker", "--bogus"]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /unknown option '--bogus'/);
  });
  await t.step("unknown role", async () => {
    const out = await cqkd(["node", "wizard"]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /value 'wizard' is invalid for argument 'role'/);
  });
  await t.step("bad environment value", async () => {
    const out = await cqkd(["config", "validate"], { BASE_PORT: "abc" });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /Invalid setting base_port from env BASE_PORT: "abc" is not an integer/);
  });
  await t.step("bad YAML file", async () => {
    const file = await Deno.makeTempFile({ suffix: ".yaml" });
    try {
      await Deno.writeTextFile(file, "ksize: 1000\n");
      const out = await cqkd(["config", "validate", file]);
      assert.equal(out.code, 2);
      assert.match(out.stderr, /ksize/);
      await Deno.writeTextFile(file, "ksize: 30\n");
      const ok = await cqkd(["config", "validate", file]);
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      await Deno.remove(file);
    }
  });
  await t.step("bad address", async () => {
    const out = await cqkd(["dht", "ping", "nowhere"]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /Cannot parse address "nowhere"/);
  });
  await t.step("bad timeout", async () => {
    const out = await cqkd(["dht", "get", "k", "--timeout", "soon"]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /Invalid --timeout "soon": expected seconds > 0/);
  });
});

Deno.test("cqkd dht gives up after --timeout when nothing answers", async () => {
  const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const port = (silent.addr as Deno.NetAddr).port;
    const out = await cqkd(["dht", "ping", `127.0.0.1:${port}`, "--timeout", "0.3"]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /No result within 0\.3 s \(raise it with --timeout\)/);
  } finally {
    silent.close();
  }
});

Deno.test("cqkd config show applies file < env < --set and prints loadable YAML", async () => {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, "ksize: 25\nalpha: 4\nregion: east\n");
    const out = await cqkd(["--config", file, "--set", "alpha=6", "config", "show", "--json"], { REGION: "west" });
    assert.equal(out.code, 0, out.stderr);
    const shown = JSON.parse(out.stdout);
    assert.equal(shown.ksize, 25);
    assert.equal(shown.region, "west");
    assert.equal(shown.alpha, 6);
    const yaml = await cqkd(["--config", file, "config", "show"]);
    await Deno.writeTextFile(file, yaml.stdout);
    assert.equal((await cqkd(["config", "validate", file])).code, 0);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("cqkd secret generate and a secure cluster: only holders of the key reach it, ids come from stored keys", async () => {
  const dir = await Deno.makeTempDir();
  const keyFile = `${dir}/cluster.key`;
  const generated = await cqkd(["secret", "generate", "-o", keyFile]);
  assert.equal(generated.code, 0, generated.stderr);
  assert.equal((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
  const again = await cqkd(["secret", "generate", "-o", keyFile]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /Cannot write .*cluster.key: it exists/);
  const added = await cqkd(["secret", "generate", "--add-to", keyFile]);
  assert.match(added.stdout, /^Added key [0-9a-f]{8} to .* as the primary; keys: [0-9a-f]{8} \(primary\), [0-9a-f]{8}/);

  const port = freePort();
  const secure = ["--set", `cluster_key_file=${keyFile}`, "--set", `state_dir=${dir}/state`];
  const seed = new NodeProcess(["super-bootstrap", "--port", String(port), "--bootstrap", "127.0.0.1:1", ...secure]);
  try {
    const listening = await seed.event();
    const pem = await Deno.readTextFile(`${dir}/state/identity/super-bootstrap.key`);
    assert.equal(listening.id, SigningIdentity.fromPem(pem).nodeId.hex, "the node id is its stored key's");
    const bootstrap = ["--bootstrap", `127.0.0.1:${port}`, "--timeout", "2"];
    const put = await cqkd(["dht", "put", "k", "v", ...bootstrap, "--set", `cluster_key_file=${keyFile}`]);
    assert.equal(put.code, 0, put.stderr);
    const get = await cqkd(["dht", "get", "k", ...bootstrap], { CQKD_CLUSTER_KEY: await envKeys(keyFile) });
    assert.equal(get.stdout.trim(), "v", get.stderr);
    const outsider = await cqkd(["dht", "get", "k", ...bootstrap, "--set", "rpc_timeout=0.3"]);
    assert.equal(outsider.code, 2);
    assert.match(outsider.stderr, /Cannot join the network: no answer from 127.0.0.1:\d+/);
  } finally {
    await seed.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

async function envKeys(keyFile: string): Promise<string> {
  return formatKeyringEnv(await loadKeyringFile(keyFile));
}
