import assert from "node:assert/strict";
import { parse } from "yaml";
import { loadSettings } from "../../core/config/mod.ts";
import { NODE_ROLES } from "../../roles/mod.ts";
import { composeFile, composeYaml, NETWORK } from "./compose_file.ts";
import { BINARY, RUN_AS, STATE_DIR } from "./container.ts";
import { IDENTITY_DIR, provisionKeygenTrust, SECRETS_DIR } from "./keygen_trust.ts";
import { DEFAULT_SHAPE, type DeploymentShape, planDeployment } from "./topology.ts";

const COMMITTED = new URL("../../compose/docker-compose.scalable.yml", import.meta.url);

type Service = {
  command: string[];
  env_file?: string[];
  secrets?: { source: string; target: string }[];
  environment: Record<string, string>;
  ports?: string[];
  networks: Record<string, { ipv4_address?: string }>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  user: string;
  read_only: boolean;
  cap_drop: string[];
  security_opt: string[];
  tmpfs: string[];
  deploy: {
    replicas?: number;
    resources: Record<"limits" | "reservations", { cpus: string; memory: string }>;
  };
};
type Compose = {
  services: Record<string, Service>;
  networks: Record<string, Record<string, unknown>>;
  secrets: Record<string, { file: string }>;
};

/** `docker-compose -f FILE config -q`: the Compose implementation's own validation of a file. */
async function dockerComposeConfig(path: string): Promise<{ code: number; stderr: string }> {
  let output;
  try {
    output = await new Deno.Command("docker-compose", { args: ["-f", path, "config", "-q"], stdin: "null" }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    assert.fail("docker-compose is not installed: install the Debian package docker-compose (.ci/run does)");
  }
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

/** What docs/deployment.md promises of the deployment, checked on the parsed file. */
function assertDeploymentShape(compose: Compose, shape: DeploymentShape): void {
  const services = Object.entries(compose.services);
  const level = (tier: string) => services.filter(([, s]) => s.environment.BOOTSTRAP_LEVEL === tier);
  const [supers, regionals, locals] = [level("super"), level("regional"), level("local")];
  assert.deepEqual([supers.length, regionals.length, locals.length], [
    shape.superCount,
    shape.regionalCount,
    shape.localCount,
  ]);
  const workers = services.filter(([, s]) => s.command[1] === "worker");
  assert.equal(workers.length, 1);
  assert.equal(workers[0]![1].deploy.replicas, shape.workers);
  assert.deepEqual(services.filter(([, s]) => s.command[1] === "alice" || s.command[1] === "bob").length, 2);

  // The command is `cqkd node <role>`, and a bootstrap node's role is its tier's.
  for (const [name, s] of services) {
    assert.equal(s.command[0], "node", name);
    assert.ok((NODE_ROLES as readonly string[]).includes(s.command[1]!), `${name}: role ${s.command[1]}`);
    if (s.environment.BOOTSTRAP_LEVEL) assert.equal(s.command[1], `${s.environment.BOOTSTRAP_LEVEL}-bootstrap`);
  }

  // Published ports are unique; each named node publishes its DHT port over UDP.
  const published = services.flatMap(([, s]) => (s.ports ?? []).map((p) => p.replace(/^127\.0\.0\.1:/, "")));
  assert.equal(new Set(published.map((p) => p.split(":")[0])).size, published.length, "host ports unique");
  for (const [name, s] of services.filter(([, s]) => s.deploy.replicas === undefined)) {
    assert.ok(s.ports?.includes(`${s.environment.DHT_PORT}:${s.environment.DHT_PORT}/udp`), name);
  }

  // One bridge network 172.20.0.0/16; fixed addresses unique, advertised, and outside the dynamic range.
  const network = compose.networks[NETWORK.name] as { driver: string; ipam: { config: { subnet: string }[] } };
  assert.equal(network.driver, "bridge");
  assert.equal(network.ipam.config[0]!.subnet, "172.20.0.0/16");
  const fixed = services.flatMap(([, s]) => {
    const address = s.networks[NETWORK.name]?.ipv4_address;
    if (address) assert.equal(s.environment.ADVERTISE_HOST, address);
    return address ? [address] : [];
  });
  assert.equal(new Set(fixed).size, services.length - 1, "every named node has its own fixed address");
  for (const address of fixed) assert.match(address, /^172\.20\.([1-9]|[1-9]\d|1[01]\d|12[0-7])\.\d+$/);

  for (const [name, s] of services) {
    // Limits and reservations.
    for (const kind of ["limits", "reservations"] as const) {
      assert.match(s.deploy.resources[kind].memory, /^\d+M$/, `${name} ${kind}`);
      assert.ok(Number(s.deploy.resources[kind].cpus) > 0, `${name} ${kind}`);
    }
    // Hardening: non-root, read-only root, no capabilities, no privilege gain, only tmpfs writable.
    assert.equal(s.user, `${RUN_AS}:${RUN_AS}`, name);
    assert.equal(s.read_only, true, name);
    assert.deepEqual(s.cap_drop, ["ALL"], name);
    assert.deepEqual(s.security_opt, ["no-new-privileges:true"], name);
    assert.deepEqual(s.tmpfs.map((t) => t.split(":")[0]), [STATE_DIR, "/tmp"], name);
    assert.equal(s.environment.STATE_DIR, STATE_DIR, name);
    // Every node is probed for real by `cqkd probe`.
    assert.deepEqual(s.healthcheck?.test.slice(0, 3), ["CMD", BINARY, "probe"], name);
  }

  // depends_on: super-1 ← other supers ← every regional ← every local ← workers; Alice and Bob after regionals.
  const gate = (name: string) => Object.entries(compose.services[name]!.depends_on ?? {});
  for (const [name] of services) {
    for (const [, dependency] of gate(name)) assert.equal(dependency.condition, "service_healthy", name);
  }
  const names = (list: [string, Service][]) => list.map(([name]) => name).sort();
  assert.deepEqual(gate(supers[0]![0]), []);
  for (const [name] of supers.slice(1)) assert.deepEqual(gate(name).map(([n]) => n), [supers[0]![0]]);
  for (const [name] of regionals) assert.deepEqual(gate(name).map(([n]) => n).sort(), names(supers));
  for (const [name] of locals) assert.deepEqual(gate(name).map(([n]) => n).sort(), names(regionals));
  assert.deepEqual(gate("worker").map(([n]) => n).sort(), names(locals));
  assert.deepEqual(gate("alice").map(([n]) => n).sort(), names(regionals));
}

Deno.test("composeFile() passes docker-compose config for 10, 100 and 1000 workers and has its shape", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    // The secrets directory the files name (docker-compose reads the env files).
    await provisionKeygenTrust(`${dir}/${SECRETS_DIR}`);
    for (const workers of [10, 100, 1000]) {
      await t.step(`${workers} workers`, async () => {
        const shape = workers === 10 ? { superCount: 2, regionalCount: 4, localCount: 4, workers } : {
          ...DEFAULT_SHAPE,
          workers,
        };
        const path = `${dir}/docker-compose.${workers}.yml`;
        await Deno.writeTextFile(path, composeYaml(planDeployment(shape)));
        const { code, stderr } = await dockerComposeConfig(path);
        assert.equal(code, 0, stderr);
        assertDeploymentShape(parse(await Deno.readTextFile(path)), shape);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("composeFile() gives every node an environment that cqkd's settings accept", async () => {
  const { services } = composeFile(planDeployment({ superCount: 2, regionalCount: 4, localCount: 4, workers: 3 }));
  for (const [name, service] of Object.entries(services)) {
    // The shell's ${CQKD_ADMIN_TOKEN:-} and ${CQKD_CLUSTER_KEY:-}, unset: empty.
    const env = Object.fromEntries(
      Object.entries(service.environment as Record<string, string>).map(([k, v]) => [k, v.replace(/^\$\{.*\}$/, "")]),
    );
    const settings = await loadSettings({ env });
    assert.equal(settings.bind_host, "0.0.0.0", name);
    assert.equal(settings.dht_port, Number(env.DHT_PORT), name);
    assert.equal(settings.admin_token, "", name);
    if (name === "worker") assert.equal(settings.node_name, "", "replicas have no one name");
    else assert.equal(settings.node_name, name);
    // Alice finds Bob by service name, for the key exchanges her admin API runs.
    assert.equal(settings.bob_address, name === "alice" ? "bob:6001" : "", name);
  }
});

Deno.test("composeFile() gives Alice and Bob their own identity key, mounted where the node reads it, and no one else", () => {
  const topology = planDeployment({ superCount: 1, regionalCount: 4, localCount: 4, workers: 2 });
  for (const [secretsDir, expected] of [[undefined, "./cqkd-secrets"], ["../keys/", "../keys"]] as const) {
    const compose = composeFile(topology, secretsDir ? { secretsDir } : {}) as unknown as Compose;
    assert.deepEqual(compose.secrets, {
      "alice-identity": { file: `${expected}/alice.key` },
      "bob-identity": { file: `${expected}/bob.key` },
    });
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== "alice" && name !== "bob") {
        assert.equal(service.secrets, undefined, name);
        assert.equal(service.env_file, undefined, name);
        continue;
      }
      // `<state_dir>/identity/<node name>.key`: where `cqkd node` loads its identity (ops/bootstrap_auth.ts).
      assert.equal(service.environment.NODE_NAME, name);
      assert.deepEqual(service.secrets, [{ source: `${name}-identity`, target: `${IDENTITY_DIR}/${name}.key` }]);
      assert.deepEqual(service.env_file, [`${expected}/${name}.env`]);
      assert.equal(service.environment.KEYGEN_AUTHORITY_KEY, undefined, "from the env file, not the compose file");
    }
  }
  // The file names the keys; it holds none.
  assert.doesNotMatch(composeYaml(topology), /PRIVATE KEY|ROLE_CERTIFICATE|KEYGEN_AUTHORITY_KEY/);
});

Deno.test("composeFile() for podman: the tmpfs owner as podman spells it (U), the rest as for Docker", () => {
  const topology = planDeployment({ superCount: 1, regionalCount: 4, localCount: 4, workers: 2 });
  const docker = composeFile(topology) as unknown as Compose;
  const podman = composeFile(topology, { engine: "podman" }) as unknown as Compose;
  for (const [name, service] of Object.entries(podman.services)) {
    assert.deepEqual(service.tmpfs, [`${STATE_DIR}:size=16m,U,mode=0700`, "/tmp:size=16m,U,mode=1777"], name);
    const { tmpfs: _, ...rest } = service;
    const { tmpfs: dockerTmpfs, ...dockerRest } = docker.services[name]!;
    assert.deepEqual(rest, dockerRest, name);
    assert.ok(dockerTmpfs.every((t) => t.includes(`uid=${RUN_AS},gid=${RUN_AS}`)), name);
  }
  const header = composeYaml(topology, { engine: "podman" }).split("\nservices:")[0]!;
  assert.match(header, /--local 4 --engine podman\n/);
  assert.match(header, /# Build the image first: deno task image/);
});

Deno.test("compose/docker-compose.scalable.yml is what `cqkd compose generate` writes for the default size", async () => {
  const committed = await Deno.readTextFile(COMMITTED);
  assert.ok(
    committed === composeYaml(planDeployment(DEFAULT_SHAPE)),
    "compose/docker-compose.scalable.yml is stale: run `deno task cqkd compose generate -o compose/docker-compose.scalable.yml`",
  );
});
