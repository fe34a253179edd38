import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { loadSettings } from "../../core/config/mod.ts";
import { parsePeer } from "../../core/net/mod.ts";
import { BINARY, RUN_AS, STATE_DIR } from "./container.ts";
import { k8sManifests, k8sYaml, keygenSecrets, type Manifest, NAMESPACE } from "./k8s_manifests.ts";
import { IDENTITY_DIR, provisionKeygenTrust } from "./keygen_trust.ts";
import { DEFAULT_SHAPE, type DeploymentShape, planDeployment } from "./topology.ts";

const COMMITTED = new URL("../../compose/k8s/", import.meta.url);

type Labels = Record<string, string>;
type Selector = { matchLabels?: Labels; matchExpressions?: { key: string; operator: string; values: string[] }[] };
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
};
type Container = {
  name: string;
  args: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef: { name: string } }[];
  resources: Record<"requests" | "limits", { cpu: string; memory: string }>;
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  ports?: { name: string; containerPort: number; protocol: string }[];
  readinessProbe?: { exec: { command: string[] } };
  livenessProbe?: { exec: { command: string[] } };
};
type PodSpec = {
  securityContext: Record<string, unknown>;
  initContainers?: Container[];
  containers: Container[];
  volumes: {
    name: string;
    emptyDir?: { medium: string };
    secret?: { secretName: string; defaultMode: number; items: { key: string; path: string }[] };
  }[];
};
type Workload = Manifest & {
  metadata: { namespace: string; labels: Labels };
  spec: {
    replicas: number;
    serviceName?: string;
    selector: { matchLabels: Labels };
    template: { metadata: { labels: Labels }; spec: PodSpec };
  };
};

function matches(selector: Selector, labels: Labels): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    assert.equal(e.operator, "In");
    return e.values.includes(labels[e.key]!);
  });
  return byLabels && byExpressions;
}

/** Every reference in the manifests resolves to an object they define, and every container is hardened. */
function assertSelfContained(manifests: Manifest[], shape: DeploymentShape): void {
  const named = (kind: string) => new Map(manifests.filter((m) => m.kind === kind).map((m) => [m.metadata.name, m]));
  const namespaces = named("Namespace");
  const configMaps = named("ConfigMap");
  const secrets = named("Secret");
  const services = named("Service");
  const workloads = manifests.filter((m) => m.kind === "StatefulSet" || m.kind === "Deployment") as Workload[];
  const templates = workloads.map((w) => w.spec.template.metadata.labels);
  const selectsPods = (selector: Selector) => templates.some((labels) => matches(selector, labels));

  assert.deepEqual([...namespaces.keys()], [NAMESPACE]);
  for (const m of manifests.filter((m) => m.kind !== "Namespace")) assert.equal(m.metadata.namespace, NAMESPACE);
  for (const service of services.values()) {
    assert.ok(selectsPods({ matchLabels: (service.spec as { selector: Labels }).selector }), service.metadata.name);
  }
  for (const policy of manifests.filter((m) => m.kind === "NetworkPolicy")) {
    const spec = policy.spec as { podSelector: Selector; ingress: { from: { podSelector?: Selector }[] }[] };
    assert.ok(selectsPods(spec.podSelector), policy.metadata.name);
    for (const from of spec.ingress.flatMap((rule) => rule.from)) {
      if (from.podSelector) assert.ok(selectsPods(from.podSelector), `${policy.metadata.name} ingress`);
    }
  }

  // The DNS names of the pods of each headless Service: `<set>-<ordinal>.<service>`.
  const podNames = new Set(workloads.flatMap((w) => {
    if (w.kind !== "StatefulSet") return [];
    assert.ok(services.get(w.spec.serviceName!), `${w.metadata.name}: Service ${w.spec.serviceName}`);
    return Array.from({ length: w.spec.replicas }, (_, i) => `${w.metadata.name}-${i}.${w.spec.serviceName}`);
  }));
  const assertAddresses = (list: string, where: string) => {
    for (const address of list.split(",")) assert.ok(podNames.has(parsePeer(address).host), `${where}: ${address}`);
  };
  const settings = configMaps.get("cqkd-settings")!.data as Record<string, string>;
  assertAddresses(settings.SUPER_BOOTSTRAP_NODES!, "SUPER_BOOTSTRAP_NODES");

  const replicas: Record<string, number> = {};
  for (const w of workloads) {
    const name = w.metadata.name;
    assert.ok(matches(w.spec.selector, w.spec.template.metadata.labels), `${name}: selector`);
    const tier = w.spec.template.metadata.labels["app.kubernetes.io/component"]!;
    replicas[tier] = (replicas[tier] ?? 0) + w.spec.replicas;
    const pod = w.spec.template.spec;
    assert.deepEqual(pod.securityContext.runAsNonRoot, true, name);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" }, name);
    const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
    for (const container of [...pod.initContainers ?? [], ...pod.containers]) {
      const where = `${name}/${container.name}`;
      assert.ok(container.resources.limits.cpu && container.resources.limits.memory, where);
      assert.ok(container.resources.requests.cpu && container.resources.requests.memory, where);
      assert.deepEqual(container.securityContext, {
        runAsNonRoot: true,
        runAsUser: RUN_AS,
        runAsGroup: RUN_AS,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      }, where);
      // Only in-memory volumes are writable: the state directory and /tmp. Alice and Bob read their identity key.
      const writable = container.volumeMounts.filter((m) => !m.readOnly);
      assert.deepEqual(writable.map((m) => m.mountPath), [STATE_DIR, "/tmp"], where);
      for (const mount of writable) assert.ok(volumes.get(mount.name)?.emptyDir, `${where}: ${mount.name}`);
      for (const mount of container.volumeMounts.filter((m) => m.readOnly)) {
        const secret = volumes.get(mount.name)?.secret;
        assert.ok(secret && secrets.has(secret.secretName), `${where}: ${mount.name}`);
        for (const { key } of secret.items) assert.ok(key in (secrets.get(secret.secretName)!.stringData as object));
      }
      for (const from of container.envFrom ?? []) assert.ok(configMaps.has(from.configMapRef.name), where);
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref) assert.ok(ref.key in (secrets.get(ref.name)?.stringData as object), `${where}: ${variable.name}`);
        if (variable.name === "BOOTSTRAP_NODES") assertAddresses(variable.value!, `${where} BOOTSTRAP_NODES`);
      }
    }
    for (const init of pod.initContainers ?? []) {
      assert.equal(init.args[0], "probe");
      assertAddresses(init.args[1]!, `${name}/${init.name}`);
    }
    const [main] = pod.containers;
    assert.deepEqual(main!.readinessProbe?.exec.command.slice(0, 2), [BINARY, "probe"], name);
    assert.deepEqual(main!.livenessProbe?.exec.command.slice(0, 2), [BINARY, "probe"], name);
    const port = Number(main!.env!.find((e) => e.name === "DHT_PORT")!.value);
    assert.deepEqual(main!.ports?.find((p) => p.name === "dht"), { name: "dht", containerPort: port, protocol: "UDP" });
  }
  assert.deepEqual(replicas, {
    "super": shape.superCount,
    "regional": shape.regionalCount,
    "local": shape.localCount,
    "worker": shape.workers,
    "alice-bob": 2,
  });
}

/** Alice's and Bob's Secrets, as `cqkd k8s generate` writes them into the secrets directory. */
async function provisionedSecrets(): Promise<Manifest[]> {
  const dir = await Deno.makeTempDir();
  try {
    return keygenSecrets(await provisionKeygenTrust(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("k8sManifests() parse, reference only what they define, and run every container hardened and probed", async (t) => {
  const keygen = await provisionedSecrets();
  for (const shape of [{ superCount: 1, regionalCount: 4, localCount: 8, workers: 10 }, DEFAULT_SHAPE]) {
    await t.step(`${shape.superCount}/${shape.regionalCount}/${shape.localCount}, ${shape.workers} workers`, () => {
      const files = k8sManifests(planDeployment(shape));
      files.set("keygen-secrets.yaml", keygen);
      const manifests = [...files.values()].flatMap((list) =>
        parseAllDocuments(k8sYaml(list)).map((document) => {
          assert.deepEqual(document.errors, []);
          return document.toJS() as Manifest;
        })
      );
      assertSelfContained(manifests, shape);
    });
  }
});

Deno.test("k8sManifests() give the settings every container reads values cqkd accepts", async () => {
  const files = k8sManifests(planDeployment(DEFAULT_SHAPE));
  const all = [...files.values()].flat();
  const shared = all.find((m) => m.kind === "ConfigMap")!.data as Record<string, string>;
  for (const w of all.filter((m) => m.kind === "StatefulSet" || m.kind === "Deployment") as Workload[]) {
    const own = w.spec.template.spec.containers[0]!.env!.filter((e) => e.value !== undefined);
    const env = { ...shared, ...Object.fromEntries(own.map((e) => [e.name, e.value!])) };
    const settings = await loadSettings({ env });
    assert.equal(settings.bind_host, "0.0.0.0");
    assert.equal(settings.state_dir, STATE_DIR);
  }
});

Deno.test("k8sManifests(): Alice reaches Bob by name, and each reads its own identity key, mounted read-only", () => {
  const all = [...k8sManifests(planDeployment(DEFAULT_SHAPE)).values()].flat();
  const workload = (name: string) => all.find((m) => m.kind === "Deployment" && m.metadata.name === name) as Workload;
  const main = (name: string) => workload(name).spec.template.spec.containers[0]!;
  const env = (name: string) => Object.fromEntries(main(name).env!.map((e) => [e.name, e]));
  // Bob's headless Service: bob:6001 resolves to Bob's pod, and only to it.
  const bobService = all.find((m) => m.kind === "Service" && m.metadata.name === "bob")!;
  const spec = bobService.spec as { clusterIP: string; selector: Labels; ports: { protocol: string; port: number }[] };
  assert.equal(spec.clusterIP, "None");
  assert.ok(spec.ports.some((p) => p.protocol === "UDP" && p.port === 6001));
  const selected = all.filter((m) =>
    (m.kind === "Deployment" || m.kind === "StatefulSet") &&
    Object.entries(spec.selector).every(([k, v]) => (m as Workload).spec.template.metadata.labels[k] === v)
  );
  assert.deepEqual(selected.map((m) => m.metadata.name), ["bob"]);
  assert.equal(env("alice").BOB_ADDRESS?.value, "bob:6001");
  assert.equal(env("bob").BOB_ADDRESS, undefined);

  for (const role of ["alice", "bob"]) {
    assert.equal(workload(role).spec.replicas, 1);
    // Named after the role (not the pod), so that the node reads `<state_dir>/identity/<role>.key`.
    assert.equal(env(role).NODE_NAME?.value, role);
    const secret = `cqkd-keygen-${role}`;
    for (
      const [name, key] of [["KEYGEN_AUTHORITY_KEY", "keygen-authority-key"], ["ROLE_CERTIFICATE", "role-certificate"]]
    ) {
      assert.deepEqual(env(role)[name!]?.valueFrom, { secretKeyRef: { name: secret, key } }, `${role} ${name}`);
    }
    const mount = main(role).volumeMounts.find((m) => m.mountPath === IDENTITY_DIR);
    assert.deepEqual(mount, { name: "identity", mountPath: IDENTITY_DIR, readOnly: true });
    const volume = workload(role).spec.template.spec.volumes.find((v) => v.name === "identity");
    // Mode 0440, group 10001 (the pod's fsGroup): the node's user reads it, others cannot.
    assert.deepEqual(volume?.secret, {
      secretName: secret,
      defaultMode: 0o440,
      items: [{ key: `${role}.key`, path: `${role}.key` }],
    });
    assert.equal(workload(role).spec.template.spec.securityContext.fsGroup, RUN_AS);
    // The init container that waits for the tier above gets no key.
    for (const init of workload(role).spec.template.spec.initContainers ?? []) {
      assert.ok(init.volumeMounts.every((m) => m.mountPath !== IDENTITY_DIR));
    }
  }
  for (
    const w of all.filter((m) => m.kind === "StatefulSet" || (m.kind === "Deployment" && m.metadata.name === "worker"))
  ) {
    assert.ok((w as Workload).spec.template.spec.volumes.every((v) => v.secret === undefined), w.metadata.name);
  }
  // The manifests hold no key: the Secrets live in the secrets directory.
  assert.doesNotMatch(all.map((m) => k8sYaml([m])).join(""), /PRIVATE KEY|cqkd\/rcert1/);
  assert.ok(!all.some((m) => m.kind === "Secret" && m.metadata.name.startsWith("cqkd-keygen-")));
});

Deno.test("keygenSecrets(): each side's Secret holds its own identity key, the authority's key and its certificate", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trust = await provisionKeygenTrust(dir);
    const secrets = keygenSecrets(trust);
    assert.deepEqual(secrets.map((s) => s.metadata.name), ["cqkd-keygen-alice", "cqkd-keygen-bob"]);
    for (const [i, role] of (["alice", "bob"] as const).entries()) {
      assert.deepEqual(secrets[i]!.stringData, {
        [`${role}.key`]: trust.sides[role].identityPem,
        "keygen-authority-key": trust.authorityKey,
        "role-certificate": trust.sides[role].certificate,
      });
      assert.equal(secrets[i]!.metadata.namespace, NAMESPACE);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compose/k8s/ holds what `cqkd k8s generate` writes for the default size", async () => {
  const files = k8sManifests(planDeployment(DEFAULT_SHAPE));
  const committed = [];
  for await (const entry of Deno.readDir(COMMITTED)) committed.push(entry.name);
  assert.deepEqual(committed.sort(), [...files.keys()].sort());
  for (const [name, manifests] of files) {
    assert.ok(
      await Deno.readTextFile(new URL(name, COMMITTED)) === k8sYaml(manifests),
      `compose/k8s/${name} is stale: run \`deno task cqkd k8s generate -o compose/k8s\``,
    );
  }
});
