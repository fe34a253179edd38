import { type KademliaNode, NodeId } from "../../core/kademlia/mod.ts";
import { formatPeer, type Peer, RpcTimeoutError } from "../../core/net/mod.ts";
import { DIAGNOSE_RPC, type NodeDiagnostics } from "../../core/services/mod.ts";
import { CommandError } from "../exit_codes.ts";
import { reach } from "./_client.ts";
import { type LegacyTable, reconstructTable } from "./legacy_table.ts";

/** Where the figures of a node diagnosed over UDP come from. */
export type DiagnosisSource = "cqkd_diagnose" | "legacy RPCs";

/** A node diagnosed over UDP: by its own `cqkd_diagnose` answer, or, for a legacy node, by legacy RPCs only. */
export type RemoteNode =
  & { address: string; id: NodeId; rttMs: number }
  & ({ source: "cqkd_diagnose"; diagnostics: NodeDiagnostics } | { source: "legacy RPCs"; legacy: LegacyTable });

/** What a reader is told about data that came from legacy RPCs. */
export const LEGACY_NOTE = "the node does not answer cqkd_diagnose (a legacy node): the figures come from legacy " +
  "RPCs only (ping, find_node)";

/**
 * Diagnoses the node at `peer` over UDP: a ping (it must answer), then `cqkd_diagnose`; a node that does not answer
 * that within a few round trips is taken for a legacy node (which never answers an unknown method), and its routing
 * table is rebuilt from find_node answers ({@linkcode reconstructTable}).
 * @throws {CommandError} when the node does not answer a ping, or answers cqkd_diagnose with something else
 */
export async function inspectNode(client: KademliaNode, peer: Peer, signal?: AbortSignal): Promise<RemoteNode> {
  const { id: hex, rttMs } = await reach(client, peer, signal);
  const id = NodeId.fromHex(hex);
  const address = formatPeer(peer);
  // It answered a ping in rttMs: a cqkd node answers cqkd_diagnose about as fast; don't wait a whole RPC timeout.
  const timeoutMs = Math.min(client.rpcTimeoutMs, probeTimeoutMs({ rttMs }));
  try {
    const answer = await client.transport.request(peer, DIAGNOSE_RPC, [], { timeoutMs, signal });
    if (!isDiagnostics(answer)) throw new CommandError(`${address} answered ${DIAGNOSE_RPC} with something else`);
    return { address, id, rttMs, source: "cqkd_diagnose", diagnostics: answer };
  } catch (error) {
    if (!(error instanceof RpcTimeoutError)) throw error;
  }
  const legacy = await reconstructTable(client, { ...peer, id }, { timeoutMs, ...(signal ? { signal } : {}) });
  return { address, id, rttMs, source: "legacy RPCs", legacy };
}

function isDiagnostics(answer: unknown): answer is NodeDiagnostics {
  const a = answer as Partial<NodeDiagnostics> | undefined;
  return typeof a?.id === "string" && Array.isArray(a.table?.buckets) && typeof a.transport === "object";
}

/** How long to wait for an answer from (or through) a node that answered a ping in `rttMs`: ten round trips, 1 s at least. */
export function probeTimeoutMs({ rttMs }: { rttMs: number }): number {
  return Math.max(1000, 10 * rttMs);
}
