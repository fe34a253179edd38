/**
 * What a host process reports of its nodes (GET /nodes, GET /health).
 *
 * @module
 */

/** Where a node of a host process is in its life. */
export type NodeState = "starting" | "joining" | "ready" | "failed" | "stopped";

/** What a host process reports of one of its nodes. */
export interface NodeStatus {
  name: string;
  role: string;
  region: string;
  state: NodeState;
  id?: string;
  address?: string;
  error?: string;
  /** The first bootstrap node that answered, and its tier. */
  entry?: string;
  entryTier?: string;
  /** Where the node was admitted (a bootstrap node, or a fallback address). */
  attachedTo?: string;
  fallback?: boolean;
  contacts: number;
  /** Bootstrap nodes: admitted joiners and capacity. */
  load?: number;
  capacity?: number;
  /** Milliseconds from the start request until the node was ready. */
  readyMs?: number;
  /** From the node's services: the network size it estimates and the Kademlia parameters it uses now. */
  networkSize?: number;
  parameters?: { alpha: number; k: number; timeoutMs: number; refreshIntervalS: number; adaptive: boolean };
  /** Its contacts by health status. */
  health?: Record<string, number>;
  /** RPCs it sent and how many got no answer, and its smoothed round-trip time (once one was answered). */
  rpc?: { requestsOut: number; timeouts: number; srttMs?: number };
}
