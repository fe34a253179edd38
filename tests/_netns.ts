/**
 * Several hosts on one machine, as Linux network namespaces, for the multi-host fault tests (run as root).
 *
 * Every test network gets names of its own (a prefix and a random id) and a random test-only subnet 10.213.X.0/24:
 * a "switch" namespace holds the bridge, each host namespace has an `eth0` whose other end is a port of that bridge,
 * and the test process reaches the hosts through one more veth pair, `cqt<id>` in its own namespace (address .1).
 * Nothing else of the machine is touched: no existing interface, route or firewall rule; deleting the namespaces
 * removes every link made. Processes run in a host through `ip netns exec`, are tracked, and die with the network.
 */
import { NodeProcess } from "./_cli.ts";

/** Thrown when an `ip` command fails: the command and what it printed. */
export class NetnsCommandError extends Error {
  override name = "NetnsCommandError";
  constructor(readonly args: readonly string[], readonly stderr: string) {
    super(`Cannot run ip ${args.join(" ")}: ${stderr.trim() || "it failed"}`);
  }
}

/** Runs `ip ARGS`; returns its stdout. @throws {NetnsCommandError} when it fails */
async function ip(...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("ip", { args, stdin: "null" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (!success) throw new NetnsCommandError(args, decode(stderr));
  return decode(stdout);
}

let support: Promise<string | undefined> | undefined;

/**
 * Why network namespaces cannot be made here (not root, no iproute2, …), or `undefined` when they can: probed once
 * per process by adding and deleting a namespace.
 */
export function netnsUnsupported(): Promise<string | undefined> {
  support ??= (async () => {
    const probe = `cqkdt-probe-${randomId()}`;
    try {
      await ip("netns", "add", probe);
      await ip("netns", "del", probe);
      return undefined;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "iproute2 (`ip`) is not installed";
      return `network namespaces cannot be created (${(error as Error).message}); the fault tests need root`;
    }
  })();
  return support;
}

function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Options of {@linkcode TestNetwork.create}. */
export interface TestNetworkOptions {
  /** Namespace names start with this. @default {"cqkdt"} */
  prefix?: string;
}

/** An HTTP request sent from inside a host by {@linkcode Host.fetchAll}. */
export interface FetchRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One host of a {@linkcode TestNetwork}: a network namespace with one address, and the processes run in it. */
export class Host {
  /** Processes started here and not yet ended. */
  readonly #processes = new Set<NodeProcess>();

  constructor(
    /** Short name, e.g. `h3`; also the bridge port's name in the switch namespace. */
    readonly name: string,
    readonly namespace: string,
    /** The host's IPv4 address on the test subnet. */
    readonly address: string,
  ) {}

  /** Starts `cqkd node ARGS --json` in this host. */
  node(args: string[]): NodeProcess {
    const process = new NodeProcess(args, ["ip", "netns", "exec", this.namespace]);
    this.#processes.add(process);
    return process;
  }

  /** Crashes the host: SIGKILL to every process it runs. */
  async crash(): Promise<void> {
    const processes = [...this.#processes];
    this.#processes.clear();
    await Promise.all(processes.map((p) => p.kill()));
    // Anything else left in the namespace (nothing, unless a node spawned a child) goes too.
    const pids = (await ip("netns", "pids", this.namespace)).split("\n").filter((line) => line.trim() !== "");
    for (const pid of pids) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch { /* ended meanwhile */ }
    }
  }

  /**
   * Sends `requests` one after another from inside this host (for addresses the test process cannot reach, e.g.
   * across a partition), in one short process run there; resolves with each status and body text.
   */
  async fetchAll(requests: readonly FetchRequest[]): Promise<{ status: number; body: string }[]> {
    const script = `const answers = [];
for (const { url, ...init } of ${JSON.stringify(requests)}) {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(30000) });
  answers.push({ status: r.status, body: await r.text() });
}
console.log(JSON.stringify(answers));`;
    const { success, stdout, stderr } = await new Deno.Command("ip", {
      args: ["netns", "exec", this.namespace, Deno.execPath(), "eval", script],
      stdin: "null",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    if (!success) throw new Error(`Cannot send requests from ${this.name}: ${decode(stderr).trim()}`);
    return JSON.parse(decode(stdout));
  }
}

/**
 * A test network of hosts joined by one bridge, torn down by {@linkcode TestNetwork.destroy} (or `await using`),
 * which kills every process and deletes every namespace and link it made, also after a failed setup.
 *
 * @example
 * ```ts ignore
 * await using net = await TestNetwork.create(3);
 * const seed = net.hosts[0]!.node(["super-bootstrap", "--host", net.hosts[0]!.address]);
 * await net.partition([net.hosts[2]!]);
 * await net.heal();
 * ```
 */
export class TestNetwork {
  readonly id: string;
  /** The namespace holding the bridges. */
  readonly switchNamespace: string;
  /** The test subnet, e.g. `10.213.57.0/24`. */
  readonly subnet: string;
  /** The test process's own address on the subnet (its veth leg). */
  readonly gateway: string;
  readonly hosts: Host[] = [];
  readonly #namespaces: string[] = [];
  /** The test process's veth leg, once made. */
  #leg: string | undefined;
  readonly #cut = new Set<Host>();

  private constructor(id: string, prefix: string, subnetByte: number) {
    this.id = id;
    this.switchNamespace = `${prefix}-${id}-sw`;
    this.subnet = `10.213.${subnetByte}.0/24`;
    this.gateway = `10.213.${subnetByte}.1`;
  }

  /**
   * Creates `hostCount` hosts (addresses .10, .11, … of the subnet).
   * @throws {NetnsCommandError} when a namespace or link cannot be made (everything made so far is removed)
   */
  static async create(hostCount: number, options: TestNetworkOptions = {}): Promise<TestNetwork> {
    if (!(hostCount >= 1 && hostCount <= 200)) throw new RangeError(`Cannot create ${hostCount} hosts: 1..200`);
    const net = new TestNetwork(randomId(), options.prefix ?? "cqkdt", await freeSubnetByte());
    try {
      await net.#build(hostCount);
    } catch (error) {
      await net.destroy();
      throw error;
    }
    return net;
  }

  async #build(hostCount: number): Promise<void> {
    const sw = this.switchNamespace;
    await this.#addNamespace(sw);
    await ip("-n", sw, "link", "add", "br0", "type", "bridge");
    await ip("-n", sw, "link", "add", "cut", "type", "bridge");
    await ip("-n", sw, "link", "set", "br0", "up");
    await ip("-n", sw, "link", "set", "cut", "up");
    // The test process's leg: created in its namespace, its peer born in the switch.
    const leg = `cqt${this.id}`;
    await ip("link", "add", leg, "type", "veth", "peer", "name", "gw", "netns", sw);
    this.#leg = leg;
    await ip("-n", sw, "link", "set", "gw", "master", "br0", "up");
    await ip("addr", "add", `${this.gateway}/24`, "dev", leg);
    await ip("link", "set", leg, "up");
    for (let i = 0; i < hostCount; i++) {
      const host = new Host(`h${i}`, `${sw.slice(0, -3)}-h${i}`, this.gateway.replace(/\.1$/, `.${10 + i}`));
      await this.#addNamespace(host.namespace);
      await ip("link", "add", "eth0", "netns", host.namespace, "type", "veth", "peer", "name", host.name, "netns", sw);
      await ip("-n", sw, "link", "set", host.name, "master", "br0", "up");
      await ip("-n", host.namespace, "addr", "add", `${host.address}/24`, "dev", "eth0");
      await ip("-n", host.namespace, "link", "set", "eth0", "up");
      await ip("-n", host.namespace, "link", "set", "lo", "up");
      this.hosts.push(host);
    }
  }

  async #addNamespace(name: string): Promise<void> {
    await ip("netns", "add", name);
    this.#namespaces.push(name);
  }

  /** Cuts `hosts` off from the rest: their bridge ports move to a second bridge, so they still reach each other. */
  async partition(hosts: readonly Host[]): Promise<void> {
    for (const host of hosts) {
      await ip("-n", this.switchNamespace, "link", "set", host.name, "master", "cut");
      this.#cut.add(host);
    }
  }

  /** Ends the partition: every host is back on the one bridge. */
  async heal(): Promise<void> {
    for (const host of this.#cut) await ip("-n", this.switchNamespace, "link", "set", host.name, "master", "br0");
    this.#cut.clear();
  }

  /** Kills every process of every host and deletes every namespace (and with them every link) this network made. */
  async destroy(): Promise<void> {
    await Promise.all(this.hosts.map((host) => host.crash().catch(() => {})));
    // The leg first and explicitly: a deleted namespace's links go only when the kernel gets round to it.
    if (this.#leg !== undefined) await ip("link", "del", this.#leg).catch(() => {});
    this.#leg = undefined;
    // Host namespaces first (their veth pairs go with them), the switch and the test process's leg last.
    for (const name of this.#namespaces.reverse()) await ip("netns", "del", name).catch(() => {});
    this.#namespaces.length = 0;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }
}

/** A third byte X for 10.213.X.0/24 that no address of this machine uses yet (another run's network, say). */
async function freeSubnetByte(): Promise<number> {
  const used = await ip("-4", "-o", "addr", "show");
  for (let attempt = 0; attempt < 64; attempt++) {
    const byte = 1 + Math.floor(Math.random() * 254);
    if (!used.includes(` 10.213.${byte}.`)) return byte;
  }
  throw new Error("Cannot choose a test subnet: 64 random choices of 10.213.X.0/24 were all in use");
}
