import { type KademliaNode, NodeId } from "../../core/kademlia/mod.ts";
import { formatPeer, type Peer } from "../../core/net/mod.ts";

/** What {@linkcode refreshNode} did. */
export interface RefreshOutcome {
  buckets: number;
  /** Contacts that took a free slot. */
  added: number;
  contacts: number;
}

/** What {@linkcode isolateOnNode} did. */
export interface IsolateOutcome {
  removed: number;
  /** The ids that held a slot (lower-case hex). */
  removedIds: string[];
  contacts: number;
  /** Ids on the node's deny list now. */
  blocked: number;
}

/** What {@linkcode rejoinNode} did. */
export interface RejoinOutcome {
  reached: string[];
  contacts: number;
}

/**
 * Refreshes a node's buckets — every one, or those idle for its refresh interval — with one find_node each, all at
 * once: a bucket whose contact is dead must not hold up the others.
 */
export async function refreshNode(
  node: KademliaNode,
  buckets: "all" | "stale",
  signal?: AbortSignal,
): Promise<RefreshOutcome> {
  const ranges = buckets === "stale"
    ? node.table.staleRanges(node.refreshIntervalS * 1000)
    : node.table.buckets().map((b): [bigint, bigint] => [b.lo, b.hi]);
  const added = await Promise.all(ranges.map(([lo]) => node.refreshBucket(NodeId.fromValue(lo), { signal })));
  return { buckets: ranges.length, added: added.reduce((a, b) => a + b, 0), contacts: node.table.size };
}

/** Removes ids (hex) from a node's routing table and, with `block`, puts them on its deny list to keep them out. */
export function isolateOnNode(node: KademliaNode, ids: readonly string[], block: boolean): IsolateOutcome {
  const { table } = node;
  const removedIds = ids.map((hex) => hex.toLowerCase())
    .filter((hex) => block ? table.block(NodeId.fromHex(hex)) : table.remove(NodeId.fromHex(hex)));
  return { removed: removedIds.length, removedIds, contacts: table.size, blocked: table.blocked().length };
}

/**
 * Joins a running node again through `peers` (pings them, looks up its own id, fills the far buckets): how fallback
 * mode and recovery reconnect it. @throws {BootstrapError} when none of the peers answers
 */
export async function rejoinNode(
  node: KademliaNode,
  peers: readonly Peer[],
  signal?: AbortSignal,
): Promise<RejoinOutcome> {
  const { reached, contacts } = await node.bootstrap(peers, { signal });
  return { reached: reached.map(formatPeer), contacts };
}
