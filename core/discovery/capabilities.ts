import { type Contact, type KademliaNode, NodeId } from "../kademlia/mod.ts";

/** The protocol roles a worker can take: spin generator, base generator, polarizer, meter, collider. */
export const WORKER_CAPABILITIES = ["qsg", "bg", "qpp", "qpm", "qpc"] as const;

/** Name of the cqkd RPC that reports a node's role and capabilities; legacy nodes do not answer it. */
export const CAPABILITIES_RPC = "cqkd_capabilities";

/** What a node says it is and can do. */
export interface NodeCapabilities {
  readonly role: string;
  readonly capabilities: readonly string[];
}

/**
 * Answers `cqkd_capabilities` `[]` with `{id, role, capabilities}` for this node (the id, as in a ping answer,
 * lets the asker tell whether the address still belongs to the node it knows). By default a worker advertises
 * every protocol role and other nodes none. Returns a function that withdraws the RPC.
 */
export function advertiseCapabilities(
  node: KademliaNode,
  capabilities: readonly string[] = node.role === "worker" ? WORKER_CAPABILITIES : [],
): () => void {
  const answer = { id: node.id.bytes, role: node.role, capabilities: [...capabilities] };
  node.rpc.register(CAPABILITIES_RPC, () => answer);
  return () => node.rpc.unregister(CAPABILITIES_RPC);
}

/**
 * Asks a contact for its role and capabilities. A node that does not answer in time (a legacy node, or one that
 * is gone), answers something else, or answers with another id (its address now belongs to another node)
 * resolves `undefined`: it is never an error, and never removes the contact.
 */
export async function queryCapabilities(
  node: KademliaNode,
  contact: Contact,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<NodeCapabilities | undefined> {
  let answer: unknown;
  try {
    answer = await node.request(contact, CAPABILITIES_RPC, [], { ...options, purpose: "discovery" });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return undefined;
  }
  const { id, role, capabilities } = (answer ?? {}) as Record<string, unknown>;
  if (typeof role !== "string" || !Array.isArray(capabilities)) return undefined;
  if (!(id instanceof Uint8Array) || id.length !== 20 || !NodeId.fromBytes(id).equals(contact.id)) return undefined;
  return { role, capabilities: capabilities.filter((c): c is string => typeof c === "string") };
}
