import pMap from "p-map";
import {
  type Contact,
  ID_BITS,
  type KademliaNode,
  NodeId,
  parseContacts,
  sortByDistance,
} from "../../core/kademlia/mod.ts";
import type { Peer } from "../../core/net/mod.ts";
import { CONCURRENCY, pingEach } from "./_client.ts";

/** A node's routing table as its find_node answers show it. */
export interface LegacyTable {
  /** Every contact it named, closest to it first. */
  contacts: Contact[];
  /** find_node requests sent, and how many were answered. */
  queries: number;
  answered: number;
  /** The longest answer: the node's k, or all it knows when it knows fewer. */
  largestAnswer: number;
}

/** Options of {@linkcode reconstructTable}. */
export interface ReconstructOptions {
  /** Time to wait for each answer. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Rebuilds the routing table of a node that answers only the legacy RPCs: one find_node for a target at each XOR
 * distance from its id (2^159 down to 2^0), so that every bucket's contacts come up in the answers — a node answers
 * with the k contacts closest to the target, and a target inside a bucket is closer to that bucket's contacts than
 * to any other. The asking client is left out of the answers by the node itself, and becomes one of its contacts.
 */
export async function reconstructTable(
  client: KademliaNode,
  node: Peer & { id: NodeId },
  options: ReconstructOptions,
): Promise<LegacyTable> {
  const targets = Array.from({ length: ID_BITS }, (_, bit) => NodeId.fromValue(node.id.value ^ atDistance(bit)));
  const found = new Map<string, Contact>();
  let answered = 0;
  let largestAnswer = 0;
  await pMap(targets, async (target) => {
    let answer: unknown;
    try {
      answer = await client.transport.request(node, "find_node", [client.id.bytes, target.bytes], options);
    } catch {
      options.signal?.throwIfAborted();
      return;
    }
    const contacts = parseContacts(answer);
    answered++;
    largestAnswer = Math.max(largestAnswer, contacts.length);
    for (const contact of contacts) {
      if (!contact.id.equals(client.id) && !contact.id.equals(node.id)) found.set(contact.id.hex, contact);
    }
  }, { concurrency: CONCURRENCY });
  return { contacts: sortByDistance([...found.values()], node.id), queries: targets.length, answered, largestAnswer };
}

/**
 * The k of a rebuilt table: the longest answer when answers were cut short of the contacts known (the node answers
 * at most k), else at least that; then `assumed` is set and k is `fallbackK` (the settings' ksize) or more.
 */
export function legacyK(table: LegacyTable, fallbackK: number): { k: number; assumed: boolean } {
  const assumed = table.largestAnswer >= table.contacts.length;
  return { k: assumed ? Math.max(table.largestAnswer, fallbackK) : table.largestAnswer, assumed };
}

/** The contacts of a rebuilt table pinged from the client: those that answered (with the round trip) and not. */
export interface ContactProbe {
  answered: Array<{ contact: Contact; rttMs: number }>;
  silent: Contact[];
  /** Contacts not pinged (past the limit). */
  skipped: number;
}

/** Most contacts of a rebuilt table pinged from the client, the closest to the node first. */
export const PROBED_CONTACTS = 64;

/**
 * Pings the contacts of a rebuilt table (the {@linkcode PROBED_CONTACTS} closest to the node) from the client: a
 * legacy node keeps no health registry and no last-seen times, so this is how its stale contacts are found.
 */
export async function probeContacts(
  client: KademliaNode,
  table: LegacyTable,
  options: ReconstructOptions,
): Promise<ContactProbe> {
  const probed = table.contacts.slice(0, PROBED_CONTACTS);
  const rtts = await pingEach(client, probed, options);
  return {
    answered: probed.flatMap((contact, i) => rtts[i] === undefined ? [] : [{ contact, rttMs: rtts[i]! }]),
    silent: probed.filter((_, i) => rtts[i] === undefined),
    skipped: table.contacts.length - probed.length,
  };
}

/** A random distance whose highest set bit is `bit`. */
function atDistance(bit: number): bigint {
  const below = NodeId.random().value & ((1n << BigInt(bit)) - 1n);
  return (1n << BigInt(bit)) | below;
}
