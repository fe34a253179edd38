/**
 * A small cqkd network spread over the hosts of a {@linkcode TestNetwork}, one `cqkd node` process per node, as the
 * multi-host fault tests and `deno task bench:faults` use it: the super tier on one host, the regional tier on
 * another, workers on a few more, Alice and Bob on hosts of their own. Timers are short (RPC timeout 1 s, fast health
 * checks every 2 s) so that faults show and heal within seconds.
 */
import { join } from "node:path";
import { toHex } from "../core/bytes.ts";
import { SigningIdentity } from "../core/crypto/mod.ts";
import type { NodeProcess } from "./_cli.ts";
import { type FetchRequest, type Host, TestNetwork } from "./_netns.ts";
import { waitFor, WaitTimeoutError } from "./_wait_for.ts";

/** Bearer token of every node's admin API. */
export const ADMIN_TOKEN = "fault-tests-token";

/** Settings of every node: short timers, a replication factor below the network size, no adaptive k. */
const COMMON_SETTINGS = [
  `admin_token=${ADMIN_TOKEN}`,
  "admin_rate_limit=0",
  "rpc_timeout=1",
  "lookup_stall_timeout=0.5",
  "fast_check_interval=2",
  "fast_check_timeout=1",
  "medium_check_interval=10",
  "deep_check_interval=60",
  "active_refresh_min_interval=2",
  "refresh_optimization_interval=10",
  "adaptive_analysis_interval=10",
  "enable_adaptive_kademlia=false",
  "ksize=8",
];

/** The value the fault tests store under `key`. */
export function valueOf(key: string): string {
  return `value of ${key}`;
}

const dhtPath = (key: string) => `/dht/${encodeURIComponent(key)}`;

/** Options of {@linkcode FaultCluster.start}. */
export interface FaultClusterOptions {
  /** Super bootstrap nodes (on one host). @default {2} */
  supers?: number;
  /** Regional bootstrap nodes (on one host). @default {2} */
  regionals?: number;
  /** Hosts of workers. @default {3} */
  workerHosts?: number;
  /** Workers on each worker host. @default {5} */
  workersPerHost?: number;
  /** More `name=value` settings for every node (e.g. the transport's fault injection). @default {[]} */
  settings?: readonly string[];
  /** Gives up starting after this long. @default {120000} */
  startTimeoutMs?: number;
}

/** One running `cqkd node`: its host, its address and admin API, and its events up to `ready`. */
export class ClusterNode {
  constructor(
    readonly host: Host,
    readonly process: NodeProcess,
    readonly role: string,
    readonly name: string,
    /** UDP address `ip:port`. */
    readonly address: string,
    /** Admin API base URL. */
    readonly admin: string,
    readonly events: readonly Record<string, unknown>[],
  ) {}

  /** Who admitted it into the network (a bootstrap node's name or address), from its `joined` event. */
  get attachedTo(): string | undefined {
    return this.events.find((e) => e.event === "joined")?.attachedTo as string | undefined;
  }

  /**
   * Sends admin requests (paths, with a JSON body or none): from the test process all at once, or with `inside` one
   * after another from this node's own host (to reach it across a partition) in one process run there. Resolves
   * with each status and body text.
   */
  async send(
    requests: readonly { method: string; path: string; body?: unknown }[],
    options: { inside?: boolean; timeoutMs?: number } = {},
  ): Promise<{ status: number; body: string }[]> {
    const prepared: FetchRequest[] = requests.map(({ method, path, body }) => ({
      url: `${this.admin}${path}`,
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }));
    if (options.inside) return await this.host.fetchAll(prepared);
    return await Promise.all(prepared.map(async ({ url, ...init }) => {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
      return { status: response.status, body: await response.text() };
    }));
  }

  /** Sends one admin request (see {@linkcode send}); resolves with the status and the parsed JSON body. */
  async request(
    method: string,
    path: string,
    options: { body?: unknown; inside?: boolean; timeoutMs?: number } = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const [answer] = await this.send([{ method, path, body: options.body }], options);
    return { status: answer!.status, json: JSON.parse(answer!.body) };
  }

  /** Stores each key with the value `value of <key>` through this node; resolves with each one's replicas. */
  async put(keys: readonly string[], inside = false): Promise<number[]> {
    const answers = await this.send(
      keys.map((key) => ({ method: "PUT", path: dhtPath(key), body: { value: valueOf(key) } })),
      { inside },
    );
    return answers.map(({ status, body }, i) => {
      if (status !== 200) throw new Error(`Cannot store ${keys[i]} through ${this.name}: ${status} ${body}`);
      return JSON.parse(body).replicas as number;
    });
  }

  /**
   * Stores `keys` as {@linkcode put} does, storing again those that reached no node (right after a cut, a writer may
   * know only nodes across it) until each is held or `timeoutMs` passes; resolves with the keys still held nowhere.
   */
  async putUntilHeld(keys: readonly string[], inside = false, timeoutMs = 20_000): Promise<string[]> {
    let pending = [...keys];
    await waitFor(async () => {
      const replicas = await this.put(pending, inside);
      pending = pending.filter((_, i) => replicas[i]! < 1);
      return pending.length === 0;
    }, { timeoutMs, everyMs: 1000, what: "every key is held" }).catch((error) => {
      if (!(error instanceof WaitTimeoutError)) throw error; // the keys still pending are the answer
    });
    return pending;
  }

  /** Reads `keys` through this node (each a lookup); resolves with the keys read back with their stored value. */
  async found(keys: readonly string[], inside = false): Promise<Set<string>> {
    const answers = await this.send(keys.map((key) => ({ method: "GET", path: dhtPath(key) })), { inside });
    return new Set(
      keys.filter((key, i) => answers[i]!.status === 200 && JSON.parse(answers[i]!.body).value === valueOf(key)),
    );
  }

  /** The hosts (addresses) of the contacts in its routing table. */
  async contactHosts(inside = false): Promise<Set<string>> {
    const { json } = await this.request("GET", "/routing-table", { inside });
    return new Set((json.contacts as { host: string }[]).map((c) => c.host));
  }
}

/** The outcome of one key exchange run from Alice's admin API, with Bob's side read from his. */
export interface Exchange {
  ok: boolean;
  reason?: string;
  aliceFingerprint: string | null;
  bobFingerprint: string | null;
  workers: number;
  totalMs: number;
}

/** The network, its nodes by tier, and the means to start more. See the module doc. */
export class FaultCluster {
  readonly net: TestNetwork;
  readonly superHost: Host;
  readonly regionalHost: Host;
  readonly workerHosts: Host[];
  readonly aliceHost: Host;
  readonly bobHost: Host;
  readonly supers: ClusterNode[] = [];
  readonly regionals: ClusterNode[] = [];
  readonly workers: ClusterNode[] = [];
  alice!: ClusterNode;
  bob!: ClusterNode;
  readonly #settings: string[];
  readonly #stateDir: string;
  readonly #deadline: number;

  private constructor(net: TestNetwork, workerHosts: number, settings: string[], stateDir: string, timeoutMs: number) {
    this.net = net;
    [this.superHost, this.regionalHost] = net.hosts as [Host, Host];
    this.workerHosts = net.hosts.slice(2, 2 + workerHosts);
    [this.aliceHost, this.bobHost] = net.hosts.slice(2 + workerHosts) as [Host, Host];
    this.#settings = settings;
    this.#stateDir = stateDir;
    this.#deadline = Date.now() + timeoutMs;
  }

  /** Creates the hosts and starts every node, tier by tier; everything is removed again if that fails. */
  static async start(options: FaultClusterOptions = {}): Promise<FaultCluster> {
    const { supers = 2, regionals = 2, workerHosts = 3, workersPerHost = 5 } = options;
    const net = await TestNetwork.create(4 + workerHosts);
    const stateDir = await Deno.makeTempDir({ prefix: "cqkd-faults-" });
    const settings = [...COMMON_SETTINGS, `state_dir=${stateDir}`, ...(options.settings ?? [])];
    const cluster = new FaultCluster(net, workerHosts, settings, stateDir, options.startTimeoutMs ?? 120_000);
    try {
      const superAddresses = Array.from({ length: supers }, (_, i) => `${cluster.superHost.address}:${5678 + i}`);
      // The first super node starts the network (its bootstrap address is itself), the others join it.
      for (const [i, address] of superAddresses.entries()) {
        const port = address.split(":")[1]!;
        cluster.supers.push(
          await cluster.startNode(cluster.superHost, "super-bootstrap", `sb-${i + 1}`, superAddresses.slice(0, i + 1), [
            "--port",
            port,
          ]),
        );
      }
      const regions = ["east", "west", "north", "south"];
      cluster.regionals.push(
        ...await Promise.all(Array.from({ length: regionals }, (_, i) => {
          const region = regions[i % regions.length]!;
          return cluster.startNode(cluster.regionalHost, "regional-bootstrap", `rb-${region}`, superAddresses, [
            "--port",
            String(5682 + i),
            "--set",
            `region=${region}`,
          ]);
        })),
      );
      const seeds = cluster.seeds;
      cluster.workers.push(
        ...await Promise.all(
          cluster.workerHosts.flatMap((host) =>
            Array.from(
              { length: workersPerHost },
              (_, i) => cluster.startNode(host, "worker", `w-${host.name}-${i}`, seeds),
            )
          ),
        ),
      );
      // Alice and Bob pin each other's identity (kept where `cqkd node` finds it: state_dir/identity/<name>.key).
      await Deno.mkdir(join(stateDir, "identity"), { recursive: true });
      const pins: Record<string, string> = {};
      for (const name of ["alice", "bob"]) {
        const identity = SigningIdentity.generate();
        await Deno.writeTextFile(join(stateDir, "identity", `${name}.key`), identity.toPem(), { mode: 0o600 });
        pins[name] = toHex(identity.publicKey);
      }
      cluster.bob = await cluster.startNode(cluster.bobHost, "bob", "bob", seeds, [
        "--port",
        "0",
        "--set",
        `trusted_peers=${pins.alice}`,
      ]);
      cluster.alice = await cluster.startNode(cluster.aliceHost, "alice", "alice", seeds, [
        "--set",
        `bob_address=${cluster.bob.address}`,
        "--set",
        `trusted_peers=${pins.bob}`,
      ]);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** The bootstrap addresses a joiner lists: the super tier, then the regional tier. */
  get seeds(): string[] {
    return [...this.supers, ...this.regionals].map((node) => node.address);
  }

  /** Every node on `hosts`. */
  nodesOn(hosts: readonly Host[]): ClusterNode[] {
    return [...this.supers, ...this.regionals, ...this.workers, this.alice, this.bob]
      .filter((node) => hosts.includes(node.host));
  }

  /** Starts one more node on `host` and waits until it is ready. */
  async startNode(
    host: Host,
    role: string,
    name: string,
    bootstrap: readonly string[],
    args: readonly string[] = ["--port", "0"],
  ): Promise<ClusterNode> {
    const set = [...this.#settings, `admin_host=${host.address}`, `node_name=${name}`].flatMap((s) => ["--set", s]);
    const process = host.node([role, "--host", host.address, "--bootstrap", bootstrap.join(","), ...args, ...set]);
    const events: Record<string, unknown>[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Cannot start ${name} on ${host.name}: not ready in time`)),
        Math.max(0, this.#deadline - Date.now()),
      );
    });
    try {
      while (events.at(-1)?.event !== "ready") events.push(await Promise.race([process.event(), late]));
    } finally {
      clearTimeout(timer);
    }
    const listening = events.find((e) => e.event === "listening")!;
    return new ClusterNode(host, process, role, name, listening.address as string, listening.admin as string, events);
  }

  /**
   * Runs a key exchange of `bits` from Alice's admin API and reads Bob's key fingerprint from his (fingerprints
   * exist for keys of 128 bits or more).
   */
  async exchange(bits = 128): Promise<Exchange> {
    const started = performance.now();
    const { status, json } = await this.alice.request("POST", "/generate-key", {
      body: { desired_key_length: bits },
      timeoutMs: 120_000,
    });
    const totalMs = performance.now() - started;
    const alice = json.alice as { fingerprint: string | null } | undefined;
    if (status !== 200 || json.ok !== true) {
      return {
        ok: false,
        reason: `${status} ${json.reason ?? json.error ?? ""}`,
        aliceFingerprint: alice?.fingerprint ?? null,
        bobFingerprint: null,
        workers: (json.workers as number) ?? 0,
        totalMs,
      };
    }
    const bob = await this.bob.request("GET", `/sessions/${json.session}`);
    return {
      ok: true,
      aliceFingerprint: alice!.fingerprint,
      bobFingerprint: (bob.json.bob as { fingerprint: string | null } | undefined)?.fingerprint ?? null,
      workers: json.workers as number,
      totalMs,
    };
  }

  /** Kills every node and removes the network and the state directory. */
  async stop(): Promise<void> {
    await this.net.destroy();
    await Deno.remove(this.#stateDir, { recursive: true }).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
