/**
 * The deployment commands as a user runs them: `cqkd probe` against real `cqkd node` processes, `cqkd compose|k8s
 * generate` writing files, and nodes bound to 0.0.0.0 (as in a container) advertising a reachable address.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { KademliaNode } from "../core/kademlia/mod.ts";
import { formatKeyringEnv, loadKeyringFile } from "../core/security/mod.ts";
import { composeYaml, DEFAULT_SHAPE, k8sManifests, k8sYaml, planDeployment } from "../ops/deploy/mod.ts";
import { BOOTSTRAP_RPC } from "../roles/mod.ts";
import { cqkd, freePort, loneSuperNode, NodeProcess } from "./_cli.ts";

/** A lone super bootstrap node on `port`, with its admin API on any port. */
async function superNode(port: number, extra: string[] = []): Promise<{ node: NodeProcess; admin: string }> {
  const { node, listening } = await loneSuperNode(port, extra);
  return { node, admin: listening.admin as string };
}

Deno.test("cqkd probe: exit 0 when the node answers on UDP and /health, 1 when it does not, 2 for bad usage", async () => {
  const port = freePort();
  const { node, admin } = await superNode(port);
  try {
    const json = await cqkd(["probe", `127.0.0.1:${port}`, "--admin", admin, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const answer = JSON.parse(json.stdout);
    assert.equal(answer.ok, true);
    assert.equal(answer.admin_status, 200);
    assert.match(answer.seen_as, /^127\.0\.0\.1:\d+$/);

    // In a container the settings say where the node is: DHT_PORT and ADMIN_PORT, no address needed.
    const local = await cqkd(["probe", "--admin"], { DHT_PORT: String(port), ADMIN_PORT: new URL(admin).port });
    assert.equal(local.code, 0, local.stderr);
    assert.match(
      local.stdout,
      /^127\.0\.0\.1:\d+ answers \(.* ms; it sees us at 127\.0\.0\.1:\d+\); .*\/health answers 200$/m,
    );

    // stun, unlike ping, leaves the prober out of the node's routing table.
    const status = await (await fetch(`${admin}/network-status`)).json();
    assert.equal(status.routing_table.total_nodes, 0);

    const deadAdmin = await cqkd(["probe", `127.0.0.1:${port}`, "--admin", "http://127.0.0.1:1"]);
    assert.equal(deadAdmin.code, 1);
    assert.match(deadAdmin.stderr, /^cqkd: Admin probe failed: GET http:\/\/127\.0\.0\.1:1\/health: /);
  } finally {
    await node.stop();
  }
  const dead = await cqkd(["probe", `127.0.0.1:${port}`, "--timeout", "0.5"]);
  assert.equal(dead.code, 1);
  assert.equal(
    dead.stderr.trim(),
    `cqkd: Node probe failed: no answer from 127.0.0.1:${port} within 0.5 s: the node is down or not serving`,
  );
  const noPort = await cqkd(["probe"]);
  assert.equal(noPort.code, 2);
  assert.match(noPort.stderr, /Cannot probe the local node: dht_port is 0/);
  assert.equal((await cqkd(["probe", "no-port-here"])).code, 2);
});

Deno.test("cqkd probe --wait keeps trying until the node comes up (a pod waiting for the tier above)", async () => {
  const port = freePort();
  const waiting = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "probe", `127.0.0.1:${port}`, "--wait", "60"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const { node } = await superNode(port);
  try {
    const { code, stdout } = await waiting.output();
    assert.equal(code, 0);
    assert.match(new TextDecoder().decode(stdout), new RegExp(`^127\\.0\\.0\\.1:${port} answers`));
  } finally {
    await node.stop();
  }
});

Deno.test("cqkd probe speaks secure mode with the cluster key of the container's environment", async () => {
  const dir = await Deno.makeTempDir();
  const keyFile = `${dir}/cluster.key`;
  assert.equal((await cqkd(["secret", "generate", "-o", keyFile])).code, 0);
  const port = freePort();
  const { node } = await superNode(port, ["--set", `cluster_key_file=${keyFile}`, "--set", `state_dir=${dir}/state`]);
  try {
    const keys = formatKeyringEnv(await loadKeyringFile(keyFile));
    const sealed = await cqkd(["probe", `127.0.0.1:${port}`], { CQKD_CLUSTER_KEY: keys });
    assert.equal(sealed.code, 0, sealed.stderr);
    const plain = await cqkd(["probe", `127.0.0.1:${port}`, "--timeout", "0.5"]);
    assert.equal(plain.code, 1, "a prober without the key gets no answer");
  } finally {
    await node.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cqkd node bound to 0.0.0.0 advertises advertise_host, or the address the node it joined sees", async () => {
  const superPort = freePort();
  const regionalPort = freePort();
  const wildcard = ["--host", "0.0.0.0"];
  const { node: top } = await superNode(superPort, [...wildcard, "--set", "advertise_host=127.0.0.1"]);
  const regional = new NodeProcess([
    "regional-bootstrap",
    "--port",
    String(regionalPort),
    "--bootstrap",
    `127.0.0.1:${superPort}`,
    ...wildcard,
  ]);
  await using client = KademliaNode.start();
  try {
    assert.equal((await regional.event()).address, `0.0.0.0:${regionalPort}`);
    assert.equal((await regional.event()).event, "joined");
    // Its tier service answers once the node is ready (it attaches after joining).
    assert.equal((await regional.event()).event, "ready");
    const info = (port: number) =>
      client.transport.request({ host: "127.0.0.1", port }, BOOTSTRAP_RPC.info, [], { timeoutMs: 2000 }) as Promise<
        { host: string; port: number }
      >;
    const given = await info(superPort);
    assert.deepEqual([given.host, given.port], ["127.0.0.1", superPort], "advertise_host");
    assert.equal((await info(regionalPort)).host, "127.0.0.1", "learnt from the super node (stun)");
  } finally {
    await regional.stop();
    await top.stop();
  }
});

Deno.test("cqkd compose generate and cqkd k8s generate write the files; bad input exits 2 with the reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/compose.yml`;
    const written = await cqkd(["compose", "generate", "--workers", "20", "-o", file]);
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stderr, /^Wrote .*compose\.yml: 87 services, 4 super, 16 regional, 64 local bootstrap nodes/);
    assert.equal(await Deno.readTextFile(file), composeYaml(planDeployment({ ...DEFAULT_SHAPE, workers: 20 })));

    const k8s = await cqkd(["compose", "generate", "--format", "k8s", "--super", "2", "-o", `${dir}/k8s`]);
    assert.equal(k8s.code, 0, k8s.stderr);
    const files = k8sManifests(planDeployment({ ...DEFAULT_SHAPE, superCount: 2 }));
    for (const [name, manifests] of files) {
      assert.equal(await Deno.readTextFile(`${dir}/k8s/${name}`), k8sYaml(manifests));
    }
    // Alice's and Bob's trust next to the files: the compose file names it, the k8s Secrets are written into it.
    const secrets = `${dir}/cqkd-secrets`;
    assert.match(written.stderr, /Alice's and Bob's trust in .*cqkd-secrets: created .*authority\.key, .*alice\.key/);
    assert.match(k8s.stderr, /trust in .*cqkd-secrets: kept its keys/);
    const k8sSecrets = `${secrets}/k8s-keygen-secrets.yaml`;
    assert.equal((await Deno.stat(k8sSecrets)).mode! & 0o777, 0o600);
    const [aliceSecret, bobSecret] = parseAllDocuments(await Deno.readTextFile(k8sSecrets)).map((d) => d.toJS());
    assert.equal(aliceSecret.stringData["alice.key"], await Deno.readTextFile(`${secrets}/alice.key`));
    assert.equal(bobSecret.metadata.name, "cqkd-keygen-bob");
    // --secrets elsewhere: the compose file names it relative to itself.
    const elsewhere = await cqkd(["compose", "generate", "--workers", "2", "-o", file, "--secrets", `${dir}/keys`]);
    assert.equal(elsewhere.code, 0, elsewhere.stderr);
    assert.match(await Deno.readTextFile(file), /file: \.\/keys\/alice\.key\n/);
    assert.ok((await Deno.stat(`${dir}/keys/bob.env`)).isFile);

    const alias = await cqkd(["k8s", "generate", "--workers", "5", "--secrets", `${dir}/keys`]);
    assert.equal(alias.code, 0, alias.stderr);
    assert.match(alias.stdout, /^apiVersion: v1\nkind: Namespace\n/);

    const refusals: Array<[string[], RegExp]> = [
      [["--workers", "0"], /Invalid --workers 0: expected a whole number from 1 to 30000/],
      [["--workers", "-5"], /Invalid --workers "-5": expected a whole number/],
      [["--workers", "many"], /Invalid --workers "many": expected a whole number/],
      [["--regional", "10"], /Invalid --regional 10: expected a multiple of 4/],
      [["--format", "helm"], /argument 'helm' is invalid\. Allowed choices are compose, k8s/],
      [["-o", `${dir}/missing/compose.yml`], /Cannot write .*missing\/compose\.yml: No such file or directory/],
      [["--format", "k8s", "-o", `${file}/k8s`], /Cannot write to .*compose\.yml\/k8s: /],
      [["--valid-days", "0"], /Invalid --valid-days "0": expected days > 0/],
    ];
    for (const [args, message] of refusals) {
      const refused = await cqkd(["compose", "generate", ...args]);
      assert.equal(refused.code, 2, args.join(" "));
      assert.match(refused.stderr, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
