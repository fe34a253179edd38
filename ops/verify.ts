import { nodeOptionsFrom, type Settings } from "../core/config/mod.ts";
import { KademliaNode } from "../core/kademlia/mod.ts";
import { parsePeer } from "../core/net/mod.ts";
import type { NodeStatus } from "./cluster/fleet.ts";
import { RunningCluster } from "./cluster/cluster.ts";
import { type ClusterState, StateDir } from "./cluster/state.ts";
import { CommandError } from "./exit_codes.ts";
import { secureNodeOptions } from "./secure_mode.ts";
import { verifyLookups } from "./lookup_check.ts";

/** One verification step and its outcome. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** What `cqkd verify bootstrap|network` can check. */
export const VERIFY_TARGETS = ["bootstrap", "network"] as const;
export type VerifyTarget = typeof VERIFY_TARGETS[number];

const TIER_OF_ROLE: Record<string, string> = {
  "super-bootstrap": "super",
  "regional-bootstrap": "regional",
  "local-bootstrap": "local",
};

/**
 * `cqkd verify`: the verification steps against the running local cluster. `bootstrap` checks every
 * bootstrap node over UDP (it answers ping and reports the tier and region it was given, within capacity) and the
 * load balancer; `network` checks that every node is up and joined, that Alice finds every worker by lookup, and
 * that a value stored through one bootstrap node is read back through another.
 * @throws {CommandError} when no cluster is running
 */
export async function verifyCluster(settings: Settings, target: VerifyTarget): Promise<Check[]> {
  const cluster = await RunningCluster.open(new StateDir(settings.state_dir));
  if (cluster === undefined) throw new CommandError("No cluster is running (start one with `cqkd startup`)");
  const checks: Check[] = [];
  const hostsAlive = cluster.alive().length;
  checks.push({
    name: "host processes",
    ok: hostsAlive === cluster.clients.length,
    detail: `${hostsAlive}/${cluster.clients.length} running`,
  });
  const { nodes } = await cluster.nodes();
  const client = await clusterClient(settings, cluster.state);
  try {
    if (target === "bootstrap") checks.push(...await verifyBootstrap(cluster, nodes, client));
    else checks.push(...await verifyNetwork(cluster, nodes, client));
  } finally {
    await client.stop();
  }
  return checks;
}

/**
 * A short-lived client node on 127.0.0.1 (ephemeral port) that speaks to the nodes of a local cluster: for a
 * cluster started with --secure it seals with the cluster's keyring, unless the settings name another. Stop it
 * when done.
 */
export async function clusterClient(settings: Settings, state: ClusterState): Promise<KademliaNode> {
  const keyFile = settings.cluster_key_file || state.clusterKeyFile || "";
  const security = await secureNodeOptions({ ...settings, cluster_key_file: keyFile });
  return KademliaNode.start({ ...nodeOptionsFrom(settings), ...security, host: "127.0.0.1", port: 0, role: "client" });
}

async function verifyBootstrap(
  cluster: RunningCluster,
  nodes: NodeStatus[],
  client: KademliaNode,
): Promise<Check[]> {
  const { shape } = cluster.state;
  const bootstraps = nodes.filter((n) => TIER_OF_ROLE[n.role] !== undefined);
  const expected = shape.superCount + shape.regionalCount + shape.localCount;
  const ready = bootstraps.filter((n) => n.state === "ready");
  const infos = await Promise.all(ready.map(async (n) => {
    try {
      const peer = parsePeer(n.address!);
      await client.ping(peer);
      const info = await client.transport.request(peer, "cqkd_bootstrap_info", [], { timeoutMs: 2000 }) as {
        tier?: string;
        region?: string;
        load?: number;
        capacity?: number;
      };
      const right = info.tier === TIER_OF_ROLE[n.role] && info.region === n.region;
      return right ? { ok: true, overloaded: (info.load ?? 0) > (info.capacity ?? 0) } : { ok: false, why: "tier" };
    } catch (error) {
      return { ok: false, why: (error as Error).message };
    }
  }));
  const answering = infos.filter((i) => i.ok).length;
  const overloaded = infos.filter((i) => i.ok && i.overloaded).length;
  const checks: Check[] = [
    { name: "bootstrap nodes up", ok: ready.length === expected, detail: `${ready.length}/${expected} ready` },
    {
      name: "answer over UDP with their tier",
      ok: answering === expected,
      detail: `${answering}/${expected} answer ping and cqkd_bootstrap_info with the tier and region they were given`,
    },
    { name: "within capacity", ok: overloaded === 0, detail: `${overloaded} over capacity` },
  ];
  const firstSuper = ready.find((n) => n.role === "super-bootstrap");
  if (firstSuper !== undefined) {
    const ranked = await client.transport.request(parsePeer(firstSuper.address!), "cqkd_bootstrap_nodes", [
      "worker",
      10,
    ], { timeoutMs: 2000 }).catch(() => []) as Array<{ load: number; capacity: number }>;
    const full = ranked.filter((r) => r.load >= r.capacity).length;
    checks.push({
      name: "load balancer",
      ok: ranked.length > 0 && full === 0,
      detail: `${firstSuper.name} hands out ${ranked.length} bootstrap nodes for a worker, ${full} of them full`,
    });
  }
  return checks;
}

async function verifyNetwork(cluster: RunningCluster, nodes: NodeStatus[], client: KademliaNode): Promise<Check[]> {
  const { shape } = cluster.state;
  const expected = shape.superCount + shape.regionalCount + shape.localCount + shape.workers + 2;
  const ready = nodes.filter((n) => n.state === "ready");
  const isolated = ready.filter((n) => n.contacts === 0 && nodes.length > 1);
  const checks: Check[] = [
    { name: "nodes up and joined", ok: ready.length === expected, detail: `${ready.length}/${expected} ready` },
    { name: "routing tables", ok: isolated.length === 0, detail: `${isolated.length} nodes without contacts` },
  ];
  try {
    const lookup = await verifyLookups(cluster);
    checks.push({
      name: "Alice finds every worker",
      ok: lookup.found === lookup.workers && lookup.workers === shape.workers,
      detail: `${lookup.found}/${shape.workers} found by lookup` +
        (lookup.secondTry > 0 ? `, ${lookup.secondTry} on a second lookup` : "") +
        (lookup.missing.length > 0 ? `; not found: ${lookup.missing.join(", ")}` : ""),
    });
  } catch (error) {
    checks.push({ name: "Alice finds every worker", ok: false, detail: (error as Error).message });
  }
  checks.push(await storeAndRead(ready, client));
  return checks;
}

/** Stores a value through the first super bootstrap node and reads it back from a second client joined elsewhere. */
async function storeAndRead(ready: NodeStatus[], writer: KademliaNode): Promise<Check> {
  const name = "store and read back";
  const supers = ready.filter((n) => n.role === "super-bootstrap");
  const far = ready.filter((n) => n.role === "local-bootstrap" || n.role === "worker").at(-1) ?? supers.at(-1);
  if (supers[0] === undefined || far === undefined) return { name, ok: false, detail: "no bootstrap node is ready" };
  const key = `cqkd:verify:${crypto.randomUUID()}`;
  const value = crypto.randomUUID();
  await using reader = KademliaNode.start({
    host: "127.0.0.1",
    port: 0,
    role: "client",
    rpcTimeoutMs: 2000,
    // A reader of a secure cluster needs its keys, as the writer has.
    ...(writer.envelope ? { secure: { keyring: writer.envelope.keyring } } : {}),
  });
  try {
    await writer.bootstrap([parsePeer(supers[0].address!)], { join: false });
    const { replicas } = await writer.set(key, value);
    await reader.bootstrap([parsePeer(far.address!)], { join: false });
    const read = await reader.get(key);
    return {
      name,
      ok: read === value,
      detail: `stored on ${replicas} nodes through ${supers[0].name}, read back through ${far.name}: ${
        read === value ? "same value" : "missing"
      }`,
    };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message };
  }
}
