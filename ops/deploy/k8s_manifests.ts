import { REGIONS } from "../cluster/plan.ts";
import { toYaml } from "./_yaml.ts";
import {
  ADMIN_PORT,
  DEFAULT_IMAGE,
  LIVE_PROBE,
  nodeCommand,
  nodeEnvironment,
  READY_PROBE,
  RUN_AS,
  STATE_DIR,
  TMPFS_MB,
} from "./container.ts";
import {
  type DeployedNode,
  type DeployTier,
  GATED_BY,
  type Resources,
  TIER_RESOURCES,
  type Topology,
} from "./topology.ts";
import { IDENTITY_DIR, keygenSecretName, type KeygenTrust } from "./keygen_trust.ts";
import { identityVolume, keygenEnv, keygenSecretData, keygenSide } from "./k8s_keygen.ts";
import { KEYGEN_ROLES } from "../../roles/keygen/role_certificate.ts";

/** The namespace everything lives in. */
export const NAMESPACE = "cqkd";

/** Namespace whose pods (Prometheus) may reach the admin API of every node. */
export const MONITORING_NAMESPACE = "monitoring";

/** A Kubernetes object as a plain object. */
export type Manifest = Record<string, unknown> & { kind: string; metadata: { name: string } & Record<string, unknown> };

/** Options of {@linkcode k8sManifests}. */
export interface K8sOptions {
  /** Image of every container. @default {DEFAULT_IMAGE} */
  image?: string;
}

const CONFIG_MAP = "cqkd-settings";
const SECRET = "cqkd-secrets";
const TIER_LABEL = "app.kubernetes.io/component";
const PART_OF = { "app.kubernetes.io/part-of": "cqkd" };
/** Longest wait of a pod for the tier above it, in seconds (its init container). */
const WAIT_S = 600;

/** A StatefulSet or Deployment: the node it runs (replicas alike) and, for a bootstrap tier, its headless Service. */
interface Workload {
  kind: "StatefulSet" | "Deployment";
  node: DeployedNode;
  /** Headless Service giving the pods stable DNS names (`super-0.super`). */
  service?: string;
  /** A node of the tier above (its address), which the pods wait for. */
  waitFor?: { tier: DeployTier; address: string };
}

/**
 * Kubernetes manifests for the deployment of a topology, by file: the Namespace (restricted pod security) with the
 * settings every node shares (ConfigMap) and the admin token and cluster key (Secret, empty until filled); then per
 * tier, in startup order, a headless Service for a bootstrap tier (stable DNS names for `BOOTSTRAP_NODES`), a
 * StatefulSet per tier and region (Deployments for workers, Alice and Bob), and a NetworkPolicy. Pods run as
 * user 10001 on a read-only root file system with no capabilities, write only to in-memory volumes, are probed by
 * `cqkd probe`, and wait in an init container until the tier above answers. In a pod every node of a tier uses its
 * tier's first port: pods have addresses of their own.
 */
export function k8sManifests(topology: Topology, options: K8sOptions = {}): Map<string, Manifest[]> {
  const image = options.image ?? DEFAULT_IMAGE;
  const { byTier, supers } = workloads(topology);
  // A replicated node is named after its pod; Alice and Bob (one pod each) keep their names, which name their keys.
  const environment = (w: Workload) => {
    const { NODE_NAME, ...rest } = nodeEnvironment(w.node, topology, { seeds: w.node.seeds, supers });
    return keygenSide(w.node) ? { NODE_NAME: NODE_NAME!, ...rest } : rest;
  };
  // What every node shares goes to the ConfigMap; each workload keeps only its own settings.
  const shared = sharedEntries([...byTier.values()].flat().map(environment));
  const files = new Map<string, Manifest[]>([["00-namespace.yaml", [namespace(), configMap(shared), secret()]]]);
  [...byTier].forEach(([tier, list], i) => {
    const services = new Map(list.flatMap((w) => w.service ? [[w.service, w] as const] : []));
    files.set(`${(i + 1) * 10}-${tier}.yaml`, [
      ...[...services].map(([name, w]) => headlessService(name, tier, w.node.port, keygenSide(w.node))),
      ...list.map((w) => workload(w, image, omit(environment(w), shared))),
      networkPolicy(tier, [...new Set(list.map((w) => w.node.port))]),
    ]);
  });
  return files;
}

/** The manifests as YAML documents, each file's documents in order. */
export function k8sYaml(manifests: readonly Manifest[]): string {
  return manifests.map((m) => toYaml(m)).join("---\n");
}

/** Who may send to a tier's DHT port: workers, Alice and Bob hear from all; a bootstrap tier from itself and below. */
const ALLOWED_FROM: Readonly<Record<DeployTier, readonly DeployTier[]>> = {
  "super": ["super", "regional", "local", "worker", "alice-bob"],
  "regional": ["regional", "local", "worker", "alice-bob"],
  "local": ["local", "worker", "alice-bob"],
  "worker": ["super", "regional", "local", "worker", "alice-bob"],
  "alice-bob": ["super", "regional", "local", "worker", "alice-bob"],
};

/** The workloads per tier in startup order, and the DNS addresses of the super bootstrap pods. */
function workloads(topology: Topology): { byTier: Map<DeployTier, Workload[]>; supers: string[] } {
  const nodesOf = (tier: DeployTier) => topology.tiers.find((t) => t.tier === tier)!.nodes;
  const count = (tier: DeployTier, region?: string) =>
    nodesOf(tier).filter((n) => region === undefined || n.region === region).reduce((sum, n) => sum + n.replicas, 0);
  // Pods of a StatefulSet are `<set>-<ordinal>`, reached as `<pod>.<service>` from the same namespace.
  const pods = (tier: DeployTier, set: string, region?: string) =>
    Array.from({ length: count(tier, region) }, (_, i) => `${set}-${i}.${tier}:${nodesOf(tier)[0]!.port}`);
  const supers = pods("super", "super");
  const regionalsIn = (region: string) => pods("regional", `regional-${region}`, region);
  const regionals = REGIONS.flatMap(regionalsIn);
  // The pod a tier waits for: the first of the tier above.
  const firstPod = (tier: DeployTier) =>
    tier === "super" ? supers[0]! : pods(tier, `${tier}-${REGIONS[0]}`, REGIONS[0])[0]!;
  const waitFor = (tier: DeployTier) => {
    const above = GATED_BY[tier];
    return above ? { waitFor: { tier: above, address: firstPod(above) } } : {};
  };
  // A workload runs a node of the topology, replicated: every pod of a tier listens on its first node's port.
  const node = (tier: DeployTier, name: string, fields: Partial<DeployedNode>, index = 0): DeployedNode => ({
    ...nodesOf(tier)[index]!,
    name,
    seeds: [...supers, ...regionals],
    replicas: 1,
    ...fields,
  });
  const bootstrap = (tier: "regional" | "local") =>
    REGIONS.map((region): Workload => ({
      kind: "StatefulSet",
      service: tier,
      ...waitFor(tier),
      node: node(tier, `${tier}-${region}`, {
        region,
        replicas: count(tier, region),
        seeds: tier === "regional" ? supers : [...supers, ...regionalsIn(region)],
      }),
    }));
  const joiners = (tier: "worker" | "alice-bob") =>
    nodesOf(tier).map(({ role, replicas }, index): Workload => ({
      kind: "Deployment",
      // Alice reaches Bob by name (BOB_ADDRESS), through a headless Service in front of his pod.
      ...(role === "bob" ? { service: role } : {}),
      ...waitFor(tier),
      node: node(tier, role, { replicas }, index),
    }));
  const byTier = new Map<DeployTier, Workload[]>([
    ["super", [{
      kind: "StatefulSet",
      service: "super",
      node: node("super", "super", { replicas: count("super"), seeds: [] }),
    }]],
    ["regional", bootstrap("regional")],
    ["local", bootstrap("local")],
    ["worker", joiners("worker")],
    ["alice-bob", joiners("alice-bob")],
  ]);
  return { byTier, supers };
}

const labels = (tier: DeployTier, name?: string) => ({
  "app.kubernetes.io/name": "cqkd",
  ...PART_OF,
  [TIER_LABEL]: tier,
  ...(name ? { "app.kubernetes.io/instance": name } : {}),
});

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: NAMESPACE, ...extra });

function namespace(): Manifest {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: NAMESPACE,
      // The restricted pod security standard: the API server refuses any pod that is not hardened as these are.
      labels: { ...PART_OF, "pod-security.kubernetes.io/enforce": "restricted" },
    },
  };
}

function configMap(data: Record<string, string>): Manifest {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: meta(CONFIG_MAP, { labels: PART_OF }), data };
}

/** Empty until filled: no token refuses every admin mutation; no cluster key means plaintext datagrams. */
function secret(): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(SECRET, { labels: PART_OF }),
    type: "Opaque",
    stringData: { "admin-token": "", "cluster-key": "" },
  };
}

/** A headless Service for a tier's pods, or for one node's (`instance`: Bob's, whom Alice reaches by name). */
function headlessService(name: string, tier: DeployTier, port: number, instance?: string): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(name, { labels: labels(tier) }),
    spec: {
      clusterIP: "None",
      // Names resolve while a pod starts: the first super node finds itself in the list and skips itself.
      publishNotReadyAddresses: true,
      selector: { ...PART_OF, [TIER_LABEL]: tier, ...(instance ? { "app.kubernetes.io/instance": instance } : {}) },
      ports: [
        { name: "dht", protocol: "UDP", port, targetPort: port },
        { name: "admin", protocol: "TCP", port: ADMIN_PORT, targetPort: ADMIN_PORT },
      ],
    },
  };
}

function workload(w: Workload, image: string, own: Record<string, string>): Manifest {
  const { node } = w;
  const podLabels = labels(node.tier, node.name);
  const clusterKey = { name: "CQKD_CLUSTER_KEY", valueFrom: secretKey("cluster-key") };
  const side = keygenSide(node);
  const env = [
    ...Object.entries(own).map(([name, value]) => ({ name, value })),
    ...(own.NODE_NAME ? [] : [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]),
    // The pod's own address: bound to 0.0.0.0, the node tells others to reach it here.
    { name: "ADVERTISE_HOST", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    { name: "ADMIN_TOKEN", valueFrom: secretKey("admin-token") },
    clusterKey,
    ...(side ? keygenEnv(side) : []),
  ];
  const container = (name: string, args: string[], env: unknown[], resources: Resources) => ({
    name,
    image,
    args,
    env,
    envFrom: [{ configMapRef: { name: CONFIG_MAP } }],
    resources: k8sResources(resources),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS,
      runAsGroup: RUN_AS,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [
      { name: "state", mountPath: STATE_DIR },
      { name: "tmp", mountPath: "/tmp" },
      ...(side && name === "cqkd" ? [{ name: "identity", mountPath: IDENTITY_DIR, readOnly: true }] : []),
    ],
  });
  const slow = node.tier === "worker";
  const spec = {
    replicas: node.replicas,
    selector: { matchLabels: podLabels },
    ...(w.kind === "StatefulSet"
      ? { serviceName: w.service, podManagementPolicy: node.tier === "super" ? "OrderedReady" : "Parallel" }
      : { strategy: { type: node.tier === "worker" ? "RollingUpdate" : "Recreate" } }),
    template: {
      metadata: { labels: podLabels },
      spec: {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: RUN_AS,
          runAsGroup: RUN_AS,
          fsGroup: RUN_AS,
          seccompProfile: { type: "RuntimeDefault" },
        },
        ...(w.waitFor
          ? {
            initContainers: [
              container(
                `wait-for-${w.waitFor.tier}`,
                [
                  "probe",
                  w.waitFor.address,
                  "--wait",
                  String(WAIT_S),
                ],
                [clusterKey],
                PROBE_RESOURCES,
              ),
            ],
          }
          : {}),
        containers: [{
          ...container("cqkd", nodeCommand(node), env, TIER_RESOURCES[node.tier]),
          ports: [
            { name: "dht", containerPort: node.port, protocol: "UDP" },
            { name: "admin", containerPort: ADMIN_PORT, protocol: "TCP" },
          ],
          readinessProbe: { exec: { command: READY_PROBE }, periodSeconds: slow ? 30 : 10, timeoutSeconds: 5 },
          livenessProbe: {
            exec: { command: LIVE_PROBE },
            initialDelaySeconds: 30,
            periodSeconds: slow ? 60 : 20,
            timeoutSeconds: 5,
            failureThreshold: 3,
          },
        }],
        volumes: [
          { name: "state", emptyDir: { medium: "Memory", sizeLimit: `${TMPFS_MB.state}Mi` } },
          { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: `${TMPFS_MB.tmp}Mi` } },
          ...(side ? [identityVolume(side)] : []),
        ],
      },
    },
  };
  return { apiVersion: "apps/v1", kind: w.kind, metadata: meta(node.name, { labels: podLabels }), spec };
}

/** What the wait for the tier above needs: one short-lived `cqkd probe` process. */
const PROBE_RESOURCES: Resources = {
  limits: { memoryMb: 128, cpus: 0.1 },
  reservations: { memoryMb: 64, cpus: 0.05 },
};

function secretKey(key: string) {
  return { secretKeyRef: { name: SECRET, key } };
}

/**
 * The Secrets of Alice and Bob (identity key, authority key, role certificate), which the manifests name but do not
 * hold: `cqkd k8s generate` writes them into the secrets directory, apart from the manifests.
 * @throws {Error} when the identity key of a side could not be read
 */
export function keygenSecrets(trust: KeygenTrust): Manifest[] {
  return KEYGEN_ROLES.map((role) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(keygenSecretName(role), { labels: PART_OF }),
    type: "Opaque",
    stringData: keygenSecretData(role, trust),
  }));
}

function k8sResources({ limits, reservations }: Resources) {
  const format = ({ memoryMb, cpus }: Resources["limits"]) => ({
    cpu: `${Math.round(cpus * 1000)}m`,
    memory: `${memoryMb}Mi`,
  });
  return { requests: format(reservations), limits: format(limits) };
}

function networkPolicy(tier: DeployTier, ports: number[]): Manifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(`cqkd-${tier}`, { labels: labels(tier) }),
    spec: {
      podSelector: { matchLabels: { ...PART_OF, [TIER_LABEL]: tier } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{
            podSelector: {
              matchLabels: PART_OF,
              matchExpressions: [{ key: TIER_LABEL, operator: "In", values: [...ALLOWED_FROM[tier]] }],
            },
          }],
          ports: ports.map((port) => ({ protocol: "UDP", port })),
        },
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } } }],
          ports: [{ protocol: "TCP", port: ADMIN_PORT }],
        },
      ],
    },
  };
}

/** The entries with the same value in every record. */
function sharedEntries(records: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = records;
  return Object.fromEntries(
    Object.entries(first ?? {}).filter(([key, value]) => rest.every((r) => r[key] === value)),
  );
}

function omit(record: Record<string, string>, shared: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !(key in shared)));
}
