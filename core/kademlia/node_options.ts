/** The options, events and results of {@linkcode KademliaNode}'s operations. */
import type { FaultInjectionOptions, RequestSettledEvent } from "../net/mod.ts";
import { formatPeer, type Peer } from "../net/mod.ts";
import { SigningIdentity } from "../crypto/mod.ts";
import { SecureEnvelope, type SecureEnvelopeOptions } from "../security/mod.ts";
import type { Contact } from "./contact.ts";
import type { NodeId } from "./node_id.ts";
import type { ReplicationLimits } from "./replication.ts";
import type { StoredValue } from "./value.ts";
import type { AnnouncementLimiter } from "./stall_recovery.ts";

/** Secure mode of a node: the cluster keys and replay protection (see core/security). */
export type SecureModeOptions = Omit<SecureEnvelopeOptions, "identity" | "now">;

/**
 * How a node judges contacts it cannot vouch for, passed at construction (the health checks' liveness policy);
 * a node without one follows the paper's rules: every contact named is admitted, one that misses an answer leaves.
 */
export interface ContactLiveness {
  /** Whether a contact only heard of (named by other nodes) may take a free slot and be queried by lookups. */
  admitHearsay(contact: Contact): boolean;
  /**
   * Whether a contact of the routing table that missed an answer stays there (a process short of CPU misses
   * answers of live contacts); `lastSeenMs` is when it was last heard from (0 or undefined: never).
   */
  keepSilent(contact: Contact, lastSeenMs: number | undefined): boolean;
  /**
   * The contact as this node last checked it (its id at the address the checks reached), when it did: a contact
   * refused as hearsay is asked again there, never at an address someone else named. Absent: never asked again.
   */
  checkedContact?(contact: Contact): Contact | undefined;
  /**
   * A stall of this node's own process at least this long (its request timers fire that late) makes it look up its
   * own id: the neighbours whose checks dropped it while it could not answer take it back. Absent: never.
   */
  readonly announceAfterStallMs?: number;
}

/** Options of {@linkcode KademliaNode.start}. */
export interface KademliaNodeOptions {
  /** Address to bind. @default {"127.0.0.1"} */
  host?: string;
  /** Port to bind; 0 lets the system pick. @default {0} */
  port?: number;
  /**
   * Host other nodes are told to reach this node at (bootstrap answers, key-exchange replies), for a node bound to
   * a wildcard address behind which it has a real one (a container). @default the bound host, or for a wildcard
   * bind the host {@linkcode KademliaNode.learnAddress} learns
   */
  advertisedHost?: string;
  /** The node's id; in secure mode it must be the identity's. @default a random id, or the identity's */
  id?: NodeId;
  /**
   * Secure mode: every datagram sealed with the cluster keys, and the node id fixed by {@linkcode identity}.
   * @default plain legacy datagrams
   */
  secure?: SecureModeOptions;
  /** The key pair that owns the node id in secure mode. @default a fresh one */
  identity?: SigningIdentity;
  /** What the node is for (worker, super-bootstrap, …); recorded, and used by roles. @default {"worker"} */
  role?: string;
  /** Bucket size and replication factor. @default {20} */
  k?: number;
  /** Lookup parallelism. @default {3} */
  alpha?: number;
  /** Time to wait for one RPC answer. @default {5000} */
  rpcTimeoutMs?: number;
  /** A lookup stops waiting for a contact silent this long (it may still answer). @default {1000} */
  lookupStallMs?: number;
  /** Lifetime of stored values. @default {604800} */
  valueTtlS?: number;
  /** How often the writer of a value stores it again. @default {3600} */
  republishIntervalS?: number;
  /** The normal refresh interval of idle buckets (the refresh manager's, see core/refresh). @default {3600} */
  refreshIntervalS?: number;
  /** Largest msgpack-encoded value accepted. @default {MAX_VALUE_BYTES} (8140) */
  maxValueBytes?: number;
  /** Most values held at once. @default {100000} */
  maxStoredValues?: number;
  /** Most bytes (msgpack-encoded values) held at once. @default {268435456} (256 MiB) */
  maxStorageBytes?: number;
  /** Most values held for one sender address. @default the larger of 1000 and a tenth of maxStoredValues */
  maxStoredValuesPerSource?: number;
  /** Most bytes held for one sender address. @default the larger of 16 MiB and a tenth of maxStorageBytes */
  maxStorageBytesPerSource?: number;
  /** Bounds on the hand-over queue (see {@linkcode Replication}). */
  replication?: ReplicationLimits;
  /** Testing aid: loss and delay added to the node's outgoing datagrams. @default none */
  faults?: FaultInjectionOptions;
  /** How the node judges contacts it cannot vouch for. @default the paper's rules */
  liveness?: ContactLiveness;
  /**
   * Runs the lookups of the node's own id that a stall of its process starts (see
   * {@linkcode ContactLiveness.announceAfterStallMs}). The nodes of one process stall together: give them one
   * limiter (e.g. `pLimit(2)`) so that one stall does not start a lookup in every node at once, which a host of a
   * thousand nodes cannot answer. @default none: each node looks itself up at once
   */
  stallAnnouncements?: AnnouncementLimiter;
  /** How often expiry and republish are checked. @default {60000} */
  maintenanceIntervalMs?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
  /** Receives warnings (failed handlers, receive errors). */
  onWarning?: (message: string) => void;
  /** Called once per RPC the node sent, when it settles (answered, timed out, aborted or failed). */
  onRequestSettled?: (event: RequestSettledEvent) => void;
  /** Called for every finished lookup (as {@linkcode KademliaNode.events}.lookup, but from the node's start). */
  onLookup?: (event: LookupEvent) => void;
}

/** Options of the node's network operations. */
export interface OperationOptions {
  /** Aborts the operation: it rejects with the signal's reason (contacts are not blamed for it). */
  signal?: AbortSignal;
  /** Time to wait for each RPC answer. @default the node's {@linkcode KademliaNode.rpcTimeoutMs} */
  timeoutMs?: number;
  /** What the traffic is for ("refresh", "health", …): counted apart in `transport.stats.requestsByPurpose`. */
  purpose?: string;
  /**
   * Lookups only: how long to wait for a silent contact before going on without it (its RPC stays pending).
   * @default the node's {@linkcode KademliaNode.lookupStallMs}
   */
  stallMs?: number;
}

/** Options of {@linkcode KademliaNode.get}. */
export interface GetOptions extends OperationOptions {
  /**
   * Which values count as found (e.g. validly signed records): a node answering with another value is passed over
   * and the lookup goes on. @default every value
   */
  accept?: (value: StoredValue) => boolean;
}

/** A finished lookup, as reported on {@linkcode KademliaNode.events}. */
export interface LookupEvent {
  readonly target: NodeId;
  /** Whether it was a value lookup. */
  readonly findValue: boolean;
  readonly purpose: string | undefined;
  readonly durationMs: number;
  /** Contacts asked, and how many of them did not answer. */
  readonly queried: number;
  /** Rounds of queries it took. */
  readonly hops: number;
  readonly failed: number;
  /** The closest contacts that answered, closest first (at most k). */
  readonly closest: readonly Contact[];
  /** The k in force when it ran. */
  readonly k: number;
}

/**
 * An RPC to a known contact that got no answer; the contact was removed from the routing table unless
 * its {@linkcode KademliaNode.liveness} kept it.
 */
export interface RpcFailureEvent {
  readonly contact: Contact;
  readonly method: string;
  readonly error: unknown;
}

/** The outcome of {@linkcode KademliaNode.set}. */
export interface SetResult {
  key: NodeId;
  /** Nodes that confirmed the store. */
  replicas: number;
  /** Nodes asked to store it (the k closest found). */
  asked: number;
}

/** The outcome of {@linkcode KademliaNode.bootstrap}. */
export interface BootstrapResult {
  /** The bootstrap addresses that answered. */
  reached: Peer[];
  /** Contacts in the routing table after joining. */
  contacts: number;
}

/** Raised when no bootstrap address answers. */
export class BootstrapError extends Error {
  override name = "BootstrapError";
  constructor(readonly tried: Peer[], options?: ErrorOptions) {
    super(
      `Cannot join the network: no answer from ${tried.map(formatPeer).join(", ") || "any bootstrap node"}`,
      options,
    );
  }
}

/**
 * The envelope of a node started in secure mode (none in plain mode), under the given identity or a fresh one.
 * @throws {RangeError} when `options.id` is not the id the identity's key owns
 */
export function secureEnvelopeOf(options: KademliaNodeOptions, now: () => number): SecureEnvelope | undefined {
  if (options.secure === undefined) return undefined;
  const identity = options.identity ?? SigningIdentity.generate();
  if (options.id !== undefined && !options.id.equals(identity.nodeId)) {
    throw new RangeError(`Cannot start a secure node with id ${options.id.hex}: its key owns ${identity.nodeId.hex}`);
  }
  return new SecureEnvelope({ ...options.secure, identity, now });
}
