import pMap from "p-map";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import { parsePeer } from "../../core/net/mod.ts";

/** A node to probe: its name and UDP address (host:port). */
export interface ProbeTarget {
  name: string;
  address: string;
}

/** What the probes of one node found. */
export interface ProbeResult {
  name: string;
  sent: number;
  answered: number;
  /** Round-trip times of the answered probes, in ms. */
  rttMs: number[];
}

/** Options of {@linkcode probeNodes}. */
export interface ProbeOptions {
  /** Probes per node, one after another. @default {3} */
  attempts?: number;
  /** Time to wait for each answer. @default {2000} */
  timeoutMs?: number;
  /** Nodes probed at once. @default {32} */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Probes nodes over UDP from `client`: `attempts` stun requests each, counting answers and round trips. Stun is
 * one of the legacy RPCs (every node answers it, legacy ones included) and, unlike ping, it does not put the
 * prober into the node's routing table, where it would linger as a dead contact once the probe is over.
 *
 * @example
 * ```ts
 * import { KademliaNode } from "../../core/kademlia/mod.ts";
 * import { formatPeer } from "../../core/net/mod.ts";
 * import { probeNodes } from "./probe.ts";
 * await using client = KademliaNode.start();
 * await using node = KademliaNode.start();
 * const [result] = await probeNodes(client, [{ name: "n", address: formatPeer(node.address) }]);
 * console.assert(result!.answered === 3);
 * ```
 */
export async function probeNodes(
  client: KademliaNode,
  targets: readonly ProbeTarget[],
  options: ProbeOptions = {},
): Promise<ProbeResult[]> {
  const { attempts = 3, timeoutMs = 2000, concurrency = 32, signal } = options;
  return await pMap(targets, async ({ name, address }) => {
    const peer = parsePeer(address);
    const result: ProbeResult = { name, sent: 0, answered: 0, rttMs: [] };
    for (let i = 0; i < attempts; i++) {
      signal?.throwIfAborted();
      result.sent++;
      const sentAt = performance.now();
      const answered = await client.stun(peer, { timeoutMs, purpose: "probe", ...(signal ? { signal } : {}) })
        .then(() => true, () => false);
      if (!answered) continue;
      result.answered++;
      result.rttMs.push(Math.round((performance.now() - sentAt) * 10) / 10);
    }
    return result;
  }, { concurrency });
}
