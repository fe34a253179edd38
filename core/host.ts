import { KademliaNode, type KademliaNodeOptions } from "./kademlia/node.ts";
import { TransportStats } from "./net/stats.ts";
import { runtime } from "./runtime/mod.ts";

/** Raised when the process reaches its open-files limit (one socket per node): the message says what to do. */
export class OpenFilesLimitError extends Error {
  override name = "OpenFilesLimitError";
  constructor(readonly running: number, readonly limit: number | undefined, options?: ErrorOptions) {
    super(
      `Cannot start another node: this process may not open more files (${running} nodes running, ulimit -n is ` +
        `${limit ?? "unknown"}); raise the limit (ulimit -n 65536) or spread the nodes over more processes`,
      options,
    );
  }
}

/** The soft limit on open files of this process (Linux), if it can be read. */
export function openFilesLimit(): number | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").split("\n").find((l) => l.startsWith("Max open files"));
    return line === undefined ? undefined : Number(line.split(/\s{2,}/)[1]);
  } catch {
    return undefined;
  }
}

/**
 * Many DHT nodes in one process, each with its own socket, port and routing table: how the local cluster runs
 * 1000+ nodes on a small machine.
 *
 * @example Ten nodes joined through the first
 * ```ts
 * import { NodeHost } from "./host.ts";
 * await using host = new NodeHost({ k: 8 });
 * const seed = host.start({ role: "bootstrap" });
 * for (let i = 0; i < 9; i++) await host.start().bootstrap([seed.address]);
 * console.assert(host.size === 10 && seed.table.size === 9);
 * ```
 */
export class NodeHost {
  readonly #nodes = new Map<string, KademliaNode>();
  readonly #defaults: KademliaNodeOptions;
  /** Counters of the nodes stopped so far: the totals never go down (Prometheus would see a counter reset). */
  readonly #retired = new TransportStats();
  /** Read up front: at the limit, reading it would fail too. */
  readonly #openFilesLimit = openFilesLimit();

  /** @param defaults options applied to every node this host starts (each call may override them) */
  constructor(defaults: KademliaNodeOptions = {}) {
    this.#defaults = defaults;
  }

  /** Number of running nodes. */
  get size(): number {
    return this.#nodes.size;
  }

  /**
   * Starts a node.
   * @throws {Deno.errors.AddrInUse} when its port is taken
   * @throws {OpenFilesLimitError} when the process may not open another socket
   */
  start(options: KademliaNodeOptions = {}): KademliaNode {
    let node: KademliaNode;
    try {
      node = KademliaNode.start({ ...this.#defaults, ...options });
    } catch (error) {
      if ((error as { code?: string }).code === "EMFILE") {
        throw new OpenFilesLimitError(this.size, this.#openFilesLimit, { cause: error });
      }
      throw error;
    }
    this.#nodes.set(node.id.hex, node);
    return node;
  }

  /** The running nodes, in start order. */
  nodes(): KademliaNode[] {
    return [...this.#nodes.values()];
  }

  /** Stops one node and forgets it. */
  /**
   * Resolves once no node of this host has a request or an address probe outstanding: plaintext requesters become
   * contacts once their address answers a probe, a round trip after their first request (see
   * core/net/address_validation.ts), and a lookup may return before its slowest requests are answered.
   */
  async settled(): Promise<void> {
    const busy = () => this.nodes().some((node) => node.transport.probing > 0 || node.transport.pendingCount > 0);
    while (busy()) await new Promise((resolve) => runtime.setTimeout(resolve, 5));
  }

  async stop(node: KademliaNode): Promise<void> {
    if (!this.#nodes.has(node.id.hex)) return;
    await node.stop();
    // Moved only once stopped, so that a scrape in between neither misses nor double-counts it.
    if (this.#nodes.delete(node.id.hex)) this.#retired.add(node.transport.stats);
  }

  /** Stops every node. */
  async stopAll(): Promise<void> {
    await Promise.all(this.nodes().map((node) => this.stop(node)));
  }

  /** Transport counters summed over every node this host ran, stopped ones included: they never go down. */
  stats(): TransportStats {
    const total = new TransportStats().add(this.#retired);
    for (const node of this.#nodes.values()) total.add(node.transport.stats);
    return total;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopAll();
  }
}
