import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { NodeServices } from "../../core/services/mod.ts";
import type { BootstrapService } from "../../roles/mod.ts";

/** A node the admin API exposes: its DHT node and whatever runs on it. */
export interface AdminNode {
  /** The node's name in its process (`worker-17`, `alice`). */
  readonly name: string;
  readonly node: KademliaNode;
  /** The tier service, on bootstrap nodes. */
  readonly bootstrap?: BootstrapService;
  /** The adaptive services, when attached. */
  readonly services?: NodeServices;
}

/** The nodes of a process, as the admin API finds them. */
export interface NodeDirectory {
  /** The running nodes, in start order. */
  list(): Iterable<AdminNode>;
}

/** The node of `directory` whose name or id (40 hex digits) is `key`. */
export function findNode(directory: NodeDirectory, key: string): AdminNode | undefined {
  const id = key.toLowerCase();
  for (const entry of directory.list()) {
    if (entry.name === key || entry.node.id.hex === id) return entry;
  }
  return undefined;
}
