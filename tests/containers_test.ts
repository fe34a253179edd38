/**
 * The Compose deployment brought up for real: the local image built (`cqkd image build`), a small generated topology
 * run by docker-compose on podman with the file's hardening, Alice and Bob trusting each other through the secrets
 * directory the generator fills (identity keys mounted as compose secrets, role certificates of one authority), a key
 * exchange across containers through Alice's admin API with both sides' own records compared, a worker and a local
 * bootstrap node killed and a new key exchange, and `down` leaving nothing behind.
 *
 * Podman's API service runs in a network namespace the test makes, so the compose network, its published ports and
 * firewall rules live there: every packet stays between the test's own containers and that namespace's loopback.
 * Skipped, with the reason, only where podman cannot start a container (or the tools are missing).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { composeFile, composeYaml, planDeployment } from "../ops/deploy/mod.ts";
import { identityFile, provisionKeygenTrust, SECRETS_DIR } from "../ops/deploy/keygen_trust.ts";
import { buildImage } from "../ops/image/build.ts";
import { ComposeStack, PROJECT_LABEL } from "../ops/image/compose_stack.ts";
import { podman, run } from "../ops/image/engine.ts";
import { engineProblem } from "../ops/image/preflight.ts";
import { type Host, netnsUnsupported, TestNetwork } from "./_netns.ts";

const SHAPE = { workers: 16, superCount: 1, regionalCount: 4, localCount: 4 };
const PROJECT = "cqkdct";
const TOKEN = "containers-test-token";
const SOURCE = new URL("..", import.meta.url).pathname;

const problem = (await netnsUnsupported()) ?? (await engineProblem(["docker-compose", "ip"]));
if (problem) console.warn(`containers_test: skipped, the container engine cannot run here: ${problem}`);

/** Containers of the project, by name: state, health, start time and published ports. */
async function containers(): Promise<Map<string, Inspected>> {
  const ids = (await podman(["ps", "-a", "-q", "--no-trunc", "--filter", `label=${PROJECT_LABEL}=${PROJECT}`]))
    .split("\n").filter(Boolean);
  if (ids.length === 0) return new Map();
  const list = JSON.parse(await podman(["inspect", "--format", "json", ...ids])) as Inspected[];
  return new Map(list.map((c) => [c.Name.replace(/^\//, ""), c]));
}

interface Inspected {
  Name: string;
  State: { Running: boolean; StartedAt: string; Health?: { Status: string } };
  EffectiveCaps: string[] | null;
  Config: { Labels: Record<string, string>; User: string };
  HostConfig: {
    ReadonlyRootfs: boolean;
    SecurityOpt: string[] | null;
    Tmpfs: Record<string, string> | null;
  };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> };
}

const serviceOf = (c: Inspected) => c.Config.Labels["com.docker.compose.service"]!;

/** Waits until `done` holds for the project's containers (polled every second), up to `timeoutS`. */
async function waitFor(what: string, timeoutS: number, done: (cs: Map<string, Inspected>) => boolean) {
  const deadline = Date.now() + timeoutS * 1000;
  let last = new Map<string, Inspected>();
  while (Date.now() < deadline) {
    last = await containers();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const states = [...last.values()].map((c) =>
    `${c.Name}: ${c.State.Health?.Status ?? (c.State.Running ? "up" : "down")}`
  );
  throw new Error(`Timed out after ${timeoutS} s waiting for ${what}: ${states.join(", ")}`);
}

/** Each container's health, and the last checks of those not healthy (exit code -1: the check timed out). */
async function healthReport(cs: Map<string, Inspected>): Promise<string> {
  const lines = [];
  for (const [name, c] of cs) {
    const status = c.State.Health?.Status ?? (c.State.Running ? "up" : "down");
    lines.push(`${name}: ${status}`);
    if (status === "healthy") continue;
    const log = JSON.parse(await podman(["inspect", "--format", "{{json .State.Health.Log}}", name]).catch(() => "[]"));
    for (const check of log ?? []) {
      lines.push(
        `  check ${check.Start} .. ${check.End}: exit ${check.ExitCode} ${String(check.Output).slice(0, 160)}`,
      );
    }
  }
  return lines.join("\n");
}

/** One admin API request sent from inside the podman namespace (where the file publishes Alice's and Bob's APIs). */
async function admin(host: Host, url: string, init: { method?: string; body?: unknown; token?: boolean } = {}) {
  const [answer] = await host.fetchAll([{
    url,
    method: init.method ?? "GET",
    headers: {
      ...(init.token === false ? {} : { authorization: `Bearer ${TOKEN}` }),
      "content-type": "application/json",
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  }]);
  return { status: answer!.status, json: JSON.parse(answer!.body) };
}

const ALICE_API = "http://127.0.0.1:8080";
const BOB_API = "http://127.0.0.1:8081";

/**
 * A key exchange through Alice's admin API. Bob runs in another container, so Alice's report can say only that he
 * confirmed the key (`keys_equal: null`); the keys are compared the way an operator can: each side's own record of
 * the session, read from its own container's admin API (with the token), names the same key id and the same
 * fingerprint.
 */
async function keyExchange(host: Host) {
  const { status, json: report } = await admin(host, `${ALICE_API}/generate-key`, {
    method: "POST",
    body: { desired_key_length: 128 },
  });
  assert.equal(status, 200, JSON.stringify(report));
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(report.confirmed, true);
  assert.equal(report.keys_equal, null, "Alice cannot see Bob's key");
  assert.equal(report.compared, "by confirmation");
  assert.equal(report.final_bits, 128);
  const session = `/sessions/${report.session}`;
  assert.equal((await admin(host, `${ALICE_API}${session}`, { token: false })).status, 401, "a session needs a token");
  const [alice, bob] = [await admin(host, `${ALICE_API}${session}`), await admin(host, `${BOB_API}${session}`)];
  assert.equal(alice.status, 200, JSON.stringify(alice.json));
  assert.equal(bob.status, 200, JSON.stringify(bob.json));
  assert.equal(alice.json.role, "alice");
  assert.equal(bob.json.role, "bob");
  assert.equal(bob.json.ok, true, JSON.stringify(bob.json));
  assert.equal(bob.json.key_id, alice.json.key_id, "both stored the key under one id");
  assert.equal(bob.json.bob.bits, alice.json.alice.bits);
  assert.match(alice.json.alice.fingerprint, /^[0-9a-f]{16}$/);
  assert.equal(bob.json.bob.fingerprint, alice.json.alice.fingerprint, "Bob's key is Alice's");
  console.log(
    `key exchange ${report.session}: ${report.final_bits} bits, key ${report.key_id}, fingerprint ` +
      `${alice.json.alice.fingerprint} on both sides, QBER ${report.qber}, ${report.workers} workers, ` +
      `${report.rounds} round(s), ${report.total_ms.toFixed(0)} ms, dead workers: ${report.dead_workers.length}`,
  );
  return report;
}

Deno.test({
  name: "compose on podman: 27 hardened containers up in health order, key exchanges across them, kills survived",
  ignore: problem !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const image = await buildImage({ source: SOURCE });
    console.log(`image ${image.names[0]}: ${(image.bytes / 1e6).toFixed(1)} MB (${image.bytes} bytes)`);
    const topology = planDeployment(SHAPE);
    const file = composeFile(topology, { engine: "podman" });
    const work = await Deno.makeTempDir({ prefix: "cqkd-containers-" });
    const composePath = join(work, "docker-compose.yml");
    await Deno.writeTextFile(composePath, composeYaml(topology, { engine: "podman" }));
    // What `cqkd compose generate` puts next to the file: Alice's and Bob's identity keys and role certificates.
    const trust = await provisionKeygenTrust(join(work, SECRETS_DIR), { bindMounted: true });
    const expected = Object.keys(file.services).length - 1 + SHAPE.workers;

    await using net = await TestNetwork.create(1, { prefix: "cqkdct" });
    const host = net.hosts[0]!;
    await using stack = await ComposeStack.start({
      file: composePath,
      project: PROJECT,
      runDir: work,
      // nsenter, not `ip netns exec`: only the network namespace, with the machine's /sys and its cgroup mounts.
      wrapper: ["nsenter", `--net=/run/netns/${host.namespace}`],
      env: { CQKD_ADMIN_TOKEN: TOKEN },
    });
    try {
      await t.step("up: every container healthy, each tier started after the one above was healthy", async () => {
        const started = performance.now();
        const up = await stack.compose(["up", "-d"]);
        if (up.code !== 0) {
          assert.fail(`docker-compose up failed: ${up.stderr.slice(-800)}\n${await healthReport(await containers())}`);
        }
        const all = await waitFor(
          "every container healthy",
          240,
          (cs) => cs.size === expected && [...cs.values()].every((c) => c.State.Health?.Status === "healthy"),
        );
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        console.log(`${all.size} containers healthy ${seconds} s after docker-compose up (load ${loadAverage()})`);

        for (const [name, c] of all) {
          const gates = Object.keys((file.services[serviceOf(c)]!.depends_on ?? {}) as Record<string, unknown>);
          for (const gate of gates) {
            const passed = stack.firstPassingCheck(`${PROJECT}_${gate}_1`);
            assert.ok(passed !== undefined, `${gate} never passed a health check`);
            assert.ok(Date.parse(c.State.StartedAt) >= passed, `${name} started before ${gate} was healthy`);
          }
        }
      });

      await t.step("hardening as the file declares: user, read-only root, no capabilities, tmpfs", async () => {
        for (const [name, c] of await containers()) {
          assert.equal(c.Config.User, "10001:10001", name);
          assert.equal(c.HostConfig.ReadonlyRootfs, true, name);
          assert.deepEqual(c.EffectiveCaps ?? [], [], name);
          assert.ok(c.HostConfig.SecurityOpt?.some((o) => /no-new-privileges/.test(o)), name);
          // The file's two, and the two podman adds to every read-only container (--read-only-tmpfs, which its
          // Docker API does not let a client turn off).
          assert.deepEqual(Object.keys(c.HostConfig.Tmpfs ?? {}).sort(), ["/run", "/tmp", "/var/lib/cqkd", "/var/tmp"]);
        }
        // What a process in the container has: uid 10001, no capability at all, nothing writable outside tmpfs.
        const status = await podman(["exec", `${PROJECT}_super-1_1`, "/usr/local/bin/deno", "eval", PROCESS_STATUS]);
        assert.deepEqual(JSON.parse(status), { uid: 10001, capEff: "0000000000000000", rootWritable: false });
        // Alice's and Bob's identity keys: the provisioned ones, readable by the node, read-only, in no other container.
        for (const role of ["alice", "bob"] as const) {
          const path = `/var/lib/cqkd/identity/${identityFile(role)}`;
          const check = await podman([
            "exec",
            `${PROJECT}_${role}_1`,
            "/usr/local/bin/deno",
            "eval",
            keyFileStatus(path),
          ]);
          assert.deepEqual(JSON.parse(check), { pem: trust.sides[role].identityPem, writable: false }, role);
        }
        const elsewhere = await podman([
          "exec",
          `${PROJECT}_worker_1`,
          "/usr/local/bin/deno",
          "eval",
          IDENTITY_LISTING,
        ]);
        assert.deepEqual(JSON.parse(elsewhere), [], "a worker holds no identity key of Alice or Bob");
      });

      await t.step("tiers joined by service name, each through a tier above", async () => {
        const cs = await containers();
        for (const [name, c] of cs) {
          const tier = serviceOf(c).replace(/-.*/, "");
          const { stdout, stderr } = await run("podman", ["logs", name]);
          const logs = stdout + stderr;
          const parent = logs.match(/joined through [\d.]+:\d+, admitted by ([\w-]+)/)?.[1];
          // Admitted through the tier above, or higher: a bootstrap node that has not yet heard the announces of the
          // tier below it admits a joiner itself instead of redirecting it down (the join flow tries super first).
          const above = {
            regional: /^super-/,
            local: /^(regional|super)-/,
            worker: /^(local|regional|super)-/,
            alice: /^(regional|super)-/,
            bob: /^(regional|super)-/,
          }[tier];
          if (above) assert.match(parent ?? "none", above, `${name} was admitted by ${parent}: ${logs.slice(-600)}`);
        }
      });

      await t.step("admin API published only where the file says: Alice's and Bob's, on 127.0.0.1", async () => {
        for (const [name, c] of await containers()) {
          const published = Object.entries(c.NetworkSettings.Ports ?? {}).flatMap(([port, bindings]) =>
            (bindings ?? []).map((b) => `${b.HostIp || "0.0.0.0"}:${b.HostPort}:${port}`)
          ).sort();
          const declared = ((file.services[serviceOf(c)]!.ports ?? []) as string[]).map((p) =>
            p.split(":").length === 2 ? `0.0.0.0:${p}` : p
          ).sort();
          assert.deepEqual(published, declared, name);
        }
        const [alice, bob, aside] = await host.fetchAll([
          { url: "http://127.0.0.1:8080/health" },
          { url: "http://127.0.0.1:8081/health" },
        ]).then((answers) => [...answers, undefined]);
        assert.equal(alice!.status, 200);
        assert.equal(bob!.status, 200);
        assert.equal(aside, undefined);
        // Published on 127.0.0.1 only: the namespace's address on the compose network does not forward to Alice.
        await assert.rejects(host.fetchAll([{ url: "http://172.20.0.1:8080/health" }]));
      });

      await t.step("a key exchange across containers, keys equal on both sides", async () => {
        const report = await keyExchange(host);
        assert.ok(report.workers >= 5, `only ${report.workers} workers took part`);
      });

      await t.step("a value written through Alice reads back through Bob", async () => {
        const put = await admin(host, "http://127.0.0.1:8080/dht/containers-test", {
          method: "PUT",
          body: { value: "stored before the kills" },
        });
        assert.equal(put.status, 200, JSON.stringify(put.json));
      });

      await t.step("a worker and a local bootstrap node killed: reads and a new key exchange still work", async () => {
        const victims = [`${PROJECT}_worker_3`, `${PROJECT}_local-1_1`];
        await stack.podman(["kill", ...victims]);
        const cs = await containers();
        for (const victim of victims) assert.equal(cs.get(victim)?.State.Running, false, `${victim} still runs`);
        const read = await admin(host, "http://127.0.0.1:8081/dht/containers-test");
        assert.equal(read.status, 200, JSON.stringify(read.json));
        assert.equal(read.json.value, "stored before the kills");
        await keyExchange(host);
        // Killed is stopped by the user: the restart policy (unless-stopped) leaves them down.
        const after = await containers();
        for (const victim of victims) assert.equal(after.get(victim)?.State.Running, false, `${victim} came back`);
      });
    } finally {
      const down = await stack.compose(["down", "--volumes", "--timeout", "5"]);
      assert.equal(down.code, 0, down.stderr);
      await podman(["rmi", "--force", ...image.names]).catch(() => undefined);
      await Deno.remove(work, { recursive: true });
    }

    await t.step("down leaves no container, network or volume", async () => {
      assert.equal((await containers()).size, 0);
      const label = ["--filter", `label=${PROJECT_LABEL}=${PROJECT}`];
      assert.equal((await podman(["network", "ls", "-q", ...label])).trim(), "");
      assert.equal((await podman(["network", "ls", "-q", "--filter", "name=cqkd-network"])).trim(), "");
      assert.equal((await podman(["volume", "ls", "-q", ...label])).trim(), "");
    });
  },
});

/** What a process in a container may do: its uid, effective capabilities, and whether it can write to /. */
const PROCESS_STATUS = `
const status = Deno.readTextFileSync("/proc/self/status");
let rootWritable = true;
try { Deno.writeTextFileSync("/probe", "x"); } catch { rootWritable = false; }
console.log(JSON.stringify({ uid: Deno.uid(), capEff: status.match(/CapEff:\\s*(\\w+)/)[1], rootWritable }));`;

/** What a container's process reads at `path` (an identity key), and whether it may write there. */
const keyFileStatus = (path: string) => `
const pem = Deno.readTextFileSync("${path}");
let writable = true;
try { Deno.writeTextFileSync("${path}", pem); } catch { writable = false; }
console.log(JSON.stringify({ pem, writable }));`;

/** The identity keys in a container's state directory (a worker in plaintext mode keeps none). */
const IDENTITY_LISTING = `
let names = [];
try { names = [...Deno.readDirSync("/var/lib/cqkd/identity")].map((e) => e.name); } catch { /* no directory */ }
console.log(JSON.stringify(names));`;

function loadAverage(): string {
  return Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
}
