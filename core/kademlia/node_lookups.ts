/**
 * The node's lookups: the iterative lookup (reported on the node's events), the cheap refresh of one bucket, and
 * the filling of the far buckets after joining. Kept apart from the node, which passes itself as the host.
 */
import type { Contact } from "./contact.ts";
import type { Emitter } from "./emitter.ts";
import { iterativeLookup, type LookupResult, type QueryAnswer } from "./lookup.ts";
import { NodeId } from "./node_id.ts";
import { formatPeer, type Peer, PROBE_TIMEOUT_MS, RpcTimeoutError } from "../net/mod.ts";
import {
  BootstrapError,
  type BootstrapResult,
  type GetOptions,
  type LookupEvent,
  type OperationOptions,
} from "./node_options.ts";
import type { RoutingTable } from "./routing_table.ts";
import { parseContacts, parseFindValueAnswer } from "./wire_types.ts";
import { runtime } from "../runtime/mod.ts";

/** What the lookups read of the node: its parameters are read at each use, as they change live. */
export interface LookupNode {
  readonly id: NodeId;
  readonly table: RoutingTable;
  readonly alpha: number;
  readonly lookupStallMs: number;
  readonly rpcTimeoutMs: number;
  readonly events: { readonly lookup: Emitter<LookupEvent> };
  /** Pings an address; resolves with the id it answers with. */
  ping(peer: Peer, options?: OperationOptions): Promise<NodeId>;
  /** One RPC to a contact: an answer welcomes it, silence does not remove it. */
  request(contact: Contact, method: string, args: unknown[], options?: OperationOptions): Promise<unknown>;
  findNode(target: NodeId, options?: OperationOptions): Promise<Contact[]>;
}

/** What the lookups need from the node: the node, and its RPC to a known contact (no answer removes it). */
export interface LookupHost {
  readonly node: LookupNode;
  call(contact: Contact, method: string, args: unknown[], options?: OperationOptions): Promise<unknown>;
}

/** Joins through `peers` (see {@linkcode KademliaNode.bootstrap}). @throws {BootstrapError} when none answers */
export async function joinThrough(
  host: LookupHost,
  peers: readonly Peer[],
  options: OperationOptions & { join?: boolean } = {},
): Promise<BootstrapResult> {
  const { signal } = options;
  const answers = await Promise.allSettled(peers.map(async (peer): Promise<Contact> => {
    const id = await pingTwice(host, peer, signal);
    if (id.equals(host.node.id)) throw new Error(`${formatPeer(peer)} is this node itself`);
    return { ...peer, id };
  }));
  signal?.throwIfAborted();
  const seeds = answers.flatMap((a) => a.status === "fulfilled" ? [a.value] : []);
  const reached = peers.filter((_, i) => answers[i]!.status === "fulfilled");
  if (reached.length === 0) {
    const causes = answers.map((a) => (a as PromiseRejectedResult).reason);
    throw new BootstrapError([...peers], { cause: causes[0] });
  }
  if (options.join ?? true) {
    await askSeeds(host, seeds, signal);
    await host.node.findNode(host.node.id, { ...(signal ? { signal } : {}) });
    await fillFarBuckets(host, signal);
  }
  return { reached, contacts: host.node.table.size };
}

/**
 * Asks each seed for our neighbourhood before the lookup, waiting as long as its validation of our address may take:
 * a seed holds an answer larger than the request until our address proves it receives (address validation), and a
 * lost probe delays that past an RPC timeout. The lookup's own query would time out, drop the seed and leave a new
 * node with no contact at all on a lossy link; this answer is waited for, and a silence drops nothing.
 */
async function askSeeds(host: LookupHost, seeds: readonly Contact[], signal: AbortSignal | undefined): Promise<void> {
  const options = { timeoutMs: host.node.rpcTimeoutMs + PROBE_TIMEOUT_MS, ...(signal ? { signal } : {}) };
  await Promise.allSettled(seeds.map(async (seed) => {
    const answer = await host.node.request(seed, "find_node", [host.node.id.bytes, host.node.id.bytes], options);
    for (const contact of parseContacts(answer)) host.node.table.add(contact, { hearsay: true });
  }));
}

/** A ping sent again once if the first goes unanswered, half the RPC timeout each: one lost datagram is no failure. */
async function pingTwice(host: LookupHost, peer: Peer, signal: AbortSignal | undefined): Promise<NodeId> {
  const options = { timeoutMs: Math.max(1, Math.round(host.node.rpcTimeoutMs / 2)), ...(signal ? { signal } : {}) };
  try {
    return await host.node.ping(peer, options);
  } catch (error) {
    if (!(error instanceof RpcTimeoutError)) throw error;
  }
  return await host.node.ping(peer, options);
}

export async function runLookup(
  host: LookupHost,
  target: NodeId,
  findValue: boolean,
  options: GetOptions & { stopAt?: NodeId },
): Promise<LookupResult> {
  const { signal, stopAt, accept } = options;
  const method = findValue ? "find_value" : "find_node";
  const query = async (contact: Contact): Promise<QueryAnswer> => {
    const answer = await host.call(contact, method, [host.node.id.bytes, target.bytes], options);
    const parsed = findValue ? parseFindValueAnswer(answer) : { contacts: parseContacts(answer) };
    if (!("contacts" in parsed)) return accept?.(parsed.value) === false ? { contacts: [] } : parsed;
    // Contacts named in answers take free slots: right after a mass join, this is what keeps nodes whose
    // tables were filled while the network was small from routing into a dead end. Contacts the table refuses
    // (known dead, named by slower nodes, or blocked) are not worth a query either, except the node a locate looks
    // for: found dead once (a check during a stall), it would stay unreachable for the whole quarantine although
    // every neighbour names it; its own answer, or its silence, is the truth.
    const admitted = parsed.contacts.filter((c) =>
      !host.node.table.isBlocked(c.id) && (stopAt?.equals(c.id) || host.node.table.admitHearsay?.(c) !== false)
    );
    for (const c of admitted) host.node.table.add(c, { hearsay: true });
    return { contacts: admitted };
  };
  const k = host.node.table.k;
  const started = runtime.monotonic();
  const result = await iterativeLookup(target, host.node.table.closest(target, k), query, {
    k,
    alpha: host.node.alpha,
    self: host.node.id,
    stallMs: Math.min(options.stallMs ?? host.node.lookupStallMs, options.timeoutMs ?? host.node.rpcTimeoutMs),
    ...(signal ? { signal } : {}),
    ...(stopAt ? { stopAt } : {}),
  });
  if (host.node.events.lookup.size > 0) {
    host.node.events.lookup.emit({
      target,
      findValue,
      purpose: options.purpose,
      durationMs: runtime.monotonic() - started,
      queried: result.queried,
      hops: result.hops,
      failed: result.failed.length,
      closest: result.closest,
      k,
    });
  }
  return result;
}

/**
 * The lookup of our own id teaches us only our neighbourhood. Without contacts in the far buckets a node's
 * lookups toward the other side of the id space stall (and so would those of everyone who learned the same
 * way), so ask, for each bucket that is not ours, the known contact closest to a random id in it, and let the
 * contacts it names fill free slots. One RPC per bucket instead of the paper's full lookup per bucket.
 */
export async function fillFarBuckets(host: LookupHost, signal?: AbortSignal): Promise<void> {
  const far = host.node.table.buckets().filter((b) => !(b.lo <= host.node.id.value && host.node.id.value < b.hi));
  await Promise.allSettled(far.map(async ({ lo, hi }) => {
    const target = NodeId.randomInRange(lo, hi);
    const [closest] = host.node.table.closest(target, 1);
    if (closest === undefined) return;
    const answer = await host.call(closest, "find_node", [host.node.id.bytes, target.bytes], { signal });
    for (const contact of parseContacts(answer)) host.node.table.add(contact, { hearsay: true });
  }));
}

/**
 * Refreshes the bucket covering `id` cheaply, without a lookup (see {@linkcode KademliaNode.refreshBucket}).
 * @returns how many contacts took a slot
 */
export async function refreshBucket(
  host: LookupHost,
  id: NodeId,
  options: OperationOptions & { width?: number } = {},
): Promise<number> {
  const { width = 1, ...rest } = options;
  const { lo, hi } = host.node.table.bucketOf(id);
  const target = NodeId.randomInRange(lo, hi);
  host.node.table.touchRange(target);
  const tagged = { purpose: "refresh", ...rest };
  let added = 0;
  await Promise.allSettled(
    host.node.table.closest(target, width).map(async (contact) => {
      const answer = await host.call(contact, "find_node", [host.node.id.bytes, target.bytes], tagged);
      for (const named of parseContacts(answer)) {
        if (host.node.table.add(named, { hearsay: true }) === "added") added++;
      }
    }),
  );
  return added;
}
