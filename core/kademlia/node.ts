import { SigningIdentity } from "../crypto/mod.ts";
import {
  encodeValue,
  type FaultInjectionOptions,
  ForgedIdentityError,
  formatPeer,
  isWildcardHost,
  type Peer,
  type RequestOptions,
  type RequestSettledEvent,
  RpcRegistry,
  RpcTimeoutError,
  UdpTransport,
} from "../net/mod.ts";
import type { Contact } from "./contact.ts";
import { Emitter } from "./emitter.ts";
import { iterativeLookup, type LookupResult, type QueryAnswer } from "./lookup.ts";
import { NodeId } from "./node_id.ts";
import { registerKademliaRpcs } from "./protocol.ts";
import { Publications } from "./publications.ts";
import { RecordStore, StorageFullError } from "./records.ts";
import { RoutingTable } from "./routing_table.ts";
import { signedWriteRefusal } from "./store_policy.ts";
import { type StoreRefusal, StoreRefusals } from "./store_refusals.ts";
import {
  type DhtValue,
  InvalidValueError,
  MAX_VALUE_BYTES,
  type StoredValue,
  toDhtValue,
  toDhtValueView,
} from "./value.ts";
import { parseContacts, parseFindValueAnswer, parseId } from "./wire_types.ts";
import { SecureEnvelope, type SecureEnvelopeOptions } from "../security/mod.ts";
import { runtime } from "../runtime/mod.ts";

/** Secure mode of a node: the cluster keys and replay protection (see core/security). */
export type SecureModeOptions = Omit<SecureEnvelopeOptions, "identity" | "now">;

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
  /** Buckets without traffic for this long are refreshed by a lookup. @default {3600} */
  refreshIntervalS?: number;
  /** Largest msgpack-encoded value accepted. @default {MAX_VALUE_BYTES} (8140) */
  maxValueBytes?: number;
  /** Most values held at once. @default {100000} */
  maxStoredValues?: number;
  /** Most bytes (msgpack-encoded values) held at once. @default {268435456} (256 MiB) */
  maxStorageBytes?: number;
  /** Testing aid: loss and delay added to the node's outgoing datagrams. @default none */
  faults?: FaultInjectionOptions;
  /** How often expiry, refresh and republish are checked. @default {60000} */
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
 * {@linkcode KademliaNode.keepSilent} kept it.
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
 * One Kademlia DHT node: a UDP socket, a routing table, a value store and the legacy RPCs, plus the client
 * operations (bootstrap, lookups, set/get) and the periodic upkeep (expiry, bucket refresh, republish).
 *
 * @example Two nodes on 127.0.0.1 share a value
 * ```ts
 * import { KademliaNode } from "./mod.ts";
 * await using first = KademliaNode.start();
 * await using second = KademliaNode.start();
 * await second.bootstrap([first.address]);
 * await first.set("hello", "world");
 * console.assert(await second.get("hello") === "world");
 * ```
 */
export class KademliaNode {
  readonly id: NodeId;
  readonly role: string;
  readonly table: RoutingTable;
  /** The values this node holds for the network. */
  readonly records: RecordStore;
  /** The values this node wrote, which it republishes. */
  readonly publications: Publications;
  /** The stores this node refused (too large, storage full, forged, unsigned or stale writes to a signed key). */
  readonly storeRefusals: StoreRefusals;
  /** The methods this node answers; roles register their own here. */
  readonly rpc = new RpcRegistry();
  readonly transport: UdpTransport;
  /** The envelope of a secure node (its keyring can be replaced live for a key rotation). */
  readonly envelope: SecureEnvelope | undefined;
  /** The Ed25519 key pair that owns the node id (secure mode); roles sign their messages with it. */
  readonly identity: SigningIdentity | undefined;
  /** What the node reports to the services attached to it: finished lookups and contacts that went silent. */
  readonly events: { readonly lookup: Emitter<LookupEvent>; readonly rpcFailure: Emitter<RpcFailureEvent> } = {
    lookup: new Emitter(),
    rpcFailure: new Emitter(),
  };
  /** Lookup parallelism in force (changed live by the adaptive parameters). */
  alpha: number;
  /** RPC timeout in force. */
  rpcTimeoutMs: number;
  /** How long a lookup waits for a silent contact before going on without it. */
  lookupStallMs: number;
  /** Buckets without traffic for this long are refreshed by the upkeep (changed live by the adaptive refresh). */
  refreshIntervalS: number;
  /**
   * Whether a contact that missed an answer stays in the routing table. Unset, it leaves at once (the paper's
   * rule); the health manager keeps contacts heard from lately until a fast check confirms them gone, because a
   * process short of CPU misses answers from live contacts.
   */
  keepSilent: ((contact: Contact) => boolean) | undefined;
  readonly #options: Required<Pick<KademliaNodeOptions, "republishIntervalS" | "maxValueBytes">>;
  #advertisedHost: string | undefined;
  #maintenance: ReturnType<typeof setTimeout>;
  #maintaining = false;

  private constructor(options: KademliaNodeOptions) {
    const now = options.now ?? runtime.now;
    if (options.secure !== undefined) {
      const identity = options.identity ?? SigningIdentity.generate();
      if (options.id !== undefined && !options.id.equals(identity.nodeId)) {
        throw new RangeError(
          `Cannot start a secure node with id ${options.id.hex}: its key owns ${identity.nodeId.hex}`,
        );
      }
      this.envelope = new SecureEnvelope({ ...options.secure, identity, now });
      this.identity = identity;
    }
    this.id = this.envelope?.nodeId ?? options.id ?? NodeId.random();
    this.role = options.role ?? "worker";
    this.alpha = options.alpha ?? 3;
    this.rpcTimeoutMs = options.rpcTimeoutMs ?? 5000;
    this.lookupStallMs = options.lookupStallMs ?? 1000;
    this.refreshIntervalS = options.refreshIntervalS ?? 3600;
    this.#advertisedHost = options.advertisedHost;
    this.#options = {
      republishIntervalS: options.republishIntervalS ?? 3600,
      maxValueBytes: options.maxValueBytes ?? MAX_VALUE_BYTES,
    };
    this.table = new RoutingTable(this.id, {
      k: options.k ?? 20,
      now,
      ping: (contact) => this.ping(contact).then((id) => id.equals(contact.id), () => false),
    });
    this.records = new RecordStore({
      ttlS: options.valueTtlS,
      maxRecords: options.maxStoredValues,
      maxBytes: options.maxStorageBytes,
      now,
    });
    this.publications = new Publications({ limit: options.maxStoredValues, now });
    const warn = options.onWarning ?? (() => {});
    this.storeRefusals = new StoreRefusals({ onWarning: warn, now });
    registerKademliaRpcs(this.rpc, {
      id: this.id,
      table: this.table,
      records: this.records,
      welcome: (contact) => this.#welcome(contact),
      store: (key, value, from) => this.#storeHere(key, value, from),
    });
    this.transport = UdpTransport.listen(this.rpc, {
      hostname: options.host,
      port: options.port,
      onWarning: warn,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(this.envelope ? { envelope: this.envelope } : {}),
      ...(options.onRequestSettled ? { onRequestSettled: options.onRequestSettled } : {}),
    });
    if (options.onLookup) this.events.lookup.on(options.onLookup);
    this.table.changes.on((change) => {
      if (change.kind === "removed" && this.records.size > 0) this.#replicateAfterLoss(change.contact);
    });
    const every = options.maintenanceIntervalMs ?? 60_000;
    const tick = () => {
      this.maintain().catch((e) => warn(`Maintenance failed: ${e.message}`));
      this.#maintenance = runtime.setTimeout(tick, every);
    };
    // A random first tick: nodes started together (a whole host at once) must not refresh and republish in step.
    this.#maintenance = runtime.setTimeout(tick, runtime.random() * every);
  }

  /** Binds the node's socket and starts its upkeep. @throws {Deno.errors.AddrInUse} when the port is taken */
  static start(options: KademliaNodeOptions = {}): KademliaNode {
    return new KademliaNode(options);
  }

  /** The bound address. */
  get address(): Peer {
    return this.transport.address;
  }

  /** The address other nodes are told to reach this one at: the advertised host (else the bound one), the bound port. */
  get advertisedAddress(): Peer {
    const { host, port } = this.address;
    return { host: this.#advertisedHost ?? host, port };
  }

  /**
   * For a node bound to a wildcard address with no advertised host: asks `peer` (stun) which address our datagrams
   * come from and advertises that host from now on. Any other node keeps the address it has.
   * @returns the advertised address
   * @throws {RpcTimeoutError} when the peer does not answer
   */
  async learnAddress(peer: Peer, options: OperationOptions = {}): Promise<Peer> {
    if (this.#advertisedHost === undefined && isWildcardHost(this.address.host)) {
      this.#advertisedHost = (await this.stun(peer, options)).host;
    }
    return this.advertisedAddress;
  }

  /** This node as a contact. */
  get contact(): Contact {
    return { id: this.id, ...this.address };
  }

  /** Pings an address; resolves with the id it answers with. */
  async ping(peer: Peer, options: OperationOptions = {}): Promise<NodeId> {
    const answer = await this.transport.request(peer, "ping", [this.id.bytes], this.#requestOptions(options));
    const id = parseId(answer, "ping answer");
    this.#checkProven(peer, id);
    if (!id.equals(this.id)) this.#welcome({ id, host: peer.host, port: peer.port });
    return id;
  }

  /** A ping sent again once if the first goes unanswered, half the RPC timeout each: one lost datagram is no failure. */
  async #pingTwice(peer: Peer, signal: AbortSignal | undefined): Promise<NodeId> {
    const options = { timeoutMs: Math.max(1, Math.round(this.rpcTimeoutMs / 2)), ...(signal ? { signal } : {}) };
    try {
      return await this.ping(peer, options);
    } catch (error) {
      if (!(error instanceof RpcTimeoutError)) throw error;
    }
    return await this.ping(peer, options);
  }

  /** Asks a peer which address our datagrams come from. */
  async stun(peer: Peer, options: OperationOptions = {}): Promise<Peer> {
    const answer = await this.transport.request(peer, "stun", [], this.#requestOptions(options));
    if (!Array.isArray(answer) || typeof answer[0] !== "string" || !Number.isInteger(answer[1])) {
      throw new TypeError(`Unexpected stun answer from ${formatPeer(peer)}`);
    }
    return { host: answer[0], port: answer[1] };
  }

  /**
   * Joins the network through the given addresses: pings them all, then (unless `join` is false, as for a
   * short-lived client) looks up our own id so that the nodes around us learn of us and we of them, and fills
   * the far buckets. @throws {BootstrapError} when none answers
   */
  async bootstrap(
    peers: readonly Peer[],
    options: OperationOptions & { join?: boolean } = {},
  ): Promise<BootstrapResult> {
    const { signal } = options;
    const answers = await Promise.allSettled(peers.map(async (peer) => {
      if ((await this.#pingTwice(peer, signal)).equals(this.id)) {
        throw new Error(`${formatPeer(peer)} is this node itself`);
      }
    }));
    signal?.throwIfAborted();
    const reached = peers.filter((_, i) => answers[i]!.status === "fulfilled");
    if (reached.length === 0) {
      const causes = answers.map((a) => (a as PromiseRejectedResult).reason);
      throw new BootstrapError([...peers], { cause: causes[0] });
    }
    if (options.join ?? true) {
      await this.findNode(this.id, { signal });
      await this.#fillFarBuckets(signal);
    }
    return { reached, contacts: this.table.size };
  }

  /** The k closest live contacts to `target` found by an iterative lookup. */
  async findNode(target: NodeId, options: OperationOptions = {}): Promise<Contact[]> {
    return (await this.#lookup(target, false, options)).closest;
  }

  /**
   * Sends one RPC to a contact; an answer welcomes it (routing table, hand-over). Unlike the lookups, a missing
   * answer does not remove the contact: the caller (a health check, a capability query) decides what it means.
   */
  async request(contact: Contact, method: string, args: unknown[], options: OperationOptions = {}): Promise<unknown> {
    const answer = await this.transport.request(contact, method, args, this.#requestOptions(options));
    this.#checkProven(contact, contact.id);
    this.#welcome(contact);
    return answer;
  }

  /**
   * Refreshes the bucket covering `id` cheaply, without a lookup: asks the `width` known contacts closest to a
   * random id of its range for their closest contacts (one find_node each, tagged "refresh" unless told
   * otherwise), lets the contacts they name take free slots, and marks the bucket refreshed. Contacts that do not
   * answer are removed, as in lookups.
   * @returns how many contacts took a slot
   */
  async refreshBucket(id: NodeId, options: OperationOptions & { width?: number } = {}): Promise<number> {
    const { width = 1, ...rest } = options;
    const { lo, hi } = this.table.bucketOf(id);
    const target = NodeId.randomInRange(lo, hi);
    this.table.touchRange(target);
    const tagged = { purpose: "refresh", ...rest };
    let added = 0;
    await Promise.allSettled(
      this.table.closest(target, width).map(async (contact) => {
        const answer = await this.#call(contact, "find_node", [this.id.bytes, target.bytes], tagged);
        for (const named of parseContacts(answer)) {
          if (this.table.add(named, { hearsay: true }) === "added") added++;
        }
      }),
    );
    return added;
  }

  /**
   * Finds the node with id `id` by an iterative lookup that stops as soon as that node answers.
   * @returns its contact, or `undefined` when the lookup ends without reaching it
   */
  async locate(id: NodeId, options: OperationOptions = {}): Promise<Contact | undefined> {
    const { closest } = await this.#lookup(id, false, { ...options, stopAt: id });
    return closest.find((c) => c.id.equals(id));
  }

  /**
   * Stores a value under `key` on the k closest nodes (and here too when this node is one of them, as legacy
   * nodes do), and remembers it to republish it every republish interval.
   * @throws {InvalidValueError} for a value of the wrong type or too large; nothing is stored then
   */
  async set(key: string | NodeId, value: unknown, options: OperationOptions = {}): Promise<SetResult> {
    const dhtValue = toDhtValue(value);
    const size = encodedSize(dhtValue);
    if (size > this.#options.maxValueBytes) {
      throw new InvalidValueError(
        `Cannot store the value: it is ${size} bytes encoded, the limit is ${this.#options.maxValueBytes}`,
      );
    }
    const dkey = typeof key === "string" ? await NodeId.digest(key) : key;
    this.publications.published(dkey, dhtValue);
    return await this.#publish(dkey, dhtValue, options);
  }

  /**
   * The value under `key`: from this node if held (and accepted), else by a value lookup; `undefined` when nobody
   * has it.
   */
  async get(key: string | NodeId, options: GetOptions = {}): Promise<DhtValue | undefined> {
    const dkey = typeof key === "string" ? await NodeId.digest(key) : key;
    const local = this.records.get(dkey);
    if (local !== undefined && (options.accept?.(local) ?? true)) return toDhtValueView(local);
    const result = await this.#lookup(dkey, true, options);
    if (result.found === undefined) return undefined;
    const { value, from } = result.found;
    // Cache the value one step closer to where lookups come from: the closest node that lacked it.
    const cacheAt = result.closest.find((c) => !c.id.equals(from.id));
    if (cacheAt !== undefined) this.#call(cacheAt, "store", [this.id.bytes, dkey.bytes, value]).catch(() => {});
    return toDhtValueView(value as StoredValue);
  }

  /** Expires values, refreshes buckets idle for the refresh interval and republishes written values that are due. */
  async maintain(): Promise<void> {
    if (this.#maintaining) return;
    this.#maintaining = true;
    try {
      this.records.expire();
      for (const [lo, hi] of this.table.staleRanges(this.refreshIntervalS * 1000)) {
        const target = NodeId.randomInRange(lo, hi);
        this.table.touchRange(target);
        await this.findNode(target, { purpose: "refresh" });
      }
      await this.#republish(this.#options.republishIntervalS * 1000);
    } finally {
      this.#maintaining = false;
    }
  }

  /**
   * Stores every value this node wrote again now, as the upkeep does each republish interval: after a partition
   * heals, the nodes now closest to a key written on one side may lack it. Resolves with how many it stored.
   */
  republish(options: Pick<OperationOptions, "signal"> = {}): Promise<number> {
    return this.#republish(0, options);
  }

  async #republish(olderThanMs: number, options: Pick<OperationOptions, "signal"> = {}): Promise<number> {
    const due = this.publications.dueFor(olderThanMs);
    for (const { key, value } of due) {
      this.publications.published(key, value);
      await this.#publish(key, value, { ...options, purpose: "republish" });
    }
    return due.length;
  }

  /** Stops the upkeep and closes the socket; pending requests fail. Idempotent. */
  async stop(): Promise<void> {
    runtime.clearTimeout(this.#maintenance);
    await this.transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * The lookup of our own id teaches us only our neighbourhood. Without contacts in the far buckets a node's
   * lookups toward the other side of the id space stall (and so would those of everyone who learned the same
   * way), so ask, for each bucket that is not ours, the known contact closest to a random id in it, and let the
   * contacts it names fill free slots. One RPC per bucket instead of the paper's full lookup per bucket.
   */
  async #fillFarBuckets(signal?: AbortSignal): Promise<void> {
    const far = this.table.buckets().filter((b) => !(b.lo <= this.id.value && this.id.value < b.hi));
    await Promise.allSettled(far.map(async ({ lo, hi }) => {
      const target = NodeId.randomInRange(lo, hi);
      const [closest] = this.table.closest(target, 1);
      if (closest === undefined) return;
      const answer = await this.#call(closest, "find_node", [this.id.bytes, target.bytes], { signal });
      for (const contact of parseContacts(answer)) this.table.add(contact, { hearsay: true });
    }));
  }

  /**
   * Stores on the k closest nodes found, and here when this node is closer than the farthest of them or holds a
   * copy already (a cached copy must not answer this node's own reads with the value it replaces).
   */
  async #publish(key: NodeId, value: StoredValue, options: OperationOptions = {}): Promise<SetResult> {
    const closest = await this.findNode(key, options);
    const farthest = closest.at(-1);
    if (
      closest.length < this.table.k || farthest === undefined ||
      this.id.distanceTo(key) < farthest.id.distanceTo(key) || this.records.get(key) !== undefined
    ) {
      this.#storeHere(key, value);
    }
    const answers = await Promise.allSettled(
      closest.map((c) => this.#call(c, "store", [this.id.bytes, key.bytes, value], options)),
    );
    const replicas = answers.filter((a) => a.status === "fulfilled" && a.value === true).length;
    return { key, replicas, asked: closest.length };
  }

  async #lookup(
    target: NodeId,
    findValue: boolean,
    options: GetOptions & { stopAt?: NodeId },
  ): Promise<LookupResult> {
    const { signal, stopAt, accept } = options;
    const method = findValue ? "find_value" : "find_node";
    const query = async (contact: Contact): Promise<QueryAnswer> => {
      const answer = await this.#call(contact, method, [this.id.bytes, target.bytes], options);
      const parsed = findValue ? parseFindValueAnswer(answer) : { contacts: parseContacts(answer) };
      if (!("contacts" in parsed)) return accept?.(parsed.value) === false ? { contacts: [] } : parsed;
      // Contacts named in answers take free slots: right after a mass join, this is what keeps nodes whose
      // tables were filled while the network was small from routing into a dead end. Contacts the table refuses
      // (known dead, named by slower nodes, or blocked) are not worth a query either.
      const admitted = parsed.contacts.filter((c) =>
        !this.table.isBlocked(c.id) && this.table.admitHearsay?.(c) !== false
      );
      for (const c of admitted) this.table.add(c, { hearsay: true });
      return { contacts: admitted };
    };
    const k = this.table.k;
    const started = runtime.monotonic();
    const result = await iterativeLookup(target, this.table.closest(target, k), query, {
      k,
      alpha: this.alpha,
      self: this.id,
      stallMs: Math.min(options.stallMs ?? this.lookupStallMs, options.timeoutMs ?? this.rpcTimeoutMs),
      ...(signal ? { signal } : {}),
      ...(stopAt ? { stopAt } : {}),
    });
    if (this.events.lookup.size > 0) {
      this.events.lookup.emit({
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
   * Stores a value here (sent by `from`, or written by this node) unless the value limit, the signed-value rules
   * (see {@linkcode signedWriteRefusal}) or the storage limits refuse it; a refusal is counted and warned about,
   * and what was held stays. @returns whether it was stored
   */
  #storeHere(key: NodeId, value: StoredValue, from?: Contact): boolean {
    const refusal = this.#storeRefusal(key, value);
    if (refusal !== undefined) this.storeRefusals.record(refusal, key, from);
    return refusal === undefined;
  }

  #storeRefusal(key: NodeId, value: StoredValue): StoreRefusal | undefined {
    if (encodedSize(value) > this.#options.maxValueBytes) return "too-large";
    const signed = signedWriteRefusal(key, value, this.records.get(key));
    if (signed !== undefined) return signed;
    try {
      this.records.put(key, value);
    } catch (error) {
      if (error instanceof StorageFullError) return "storage-full";
      throw error;
    }
  }

  /** An RPC to a known contact: an answer welcomes it into the routing table, no answer removes it (see keepSilent). */
  async #call(contact: Contact, method: string, args: unknown[], options: OperationOptions = {}): Promise<unknown> {
    try {
      return await this.request(contact, method, args, options);
    } catch (error) {
      if (!options.signal?.aborted) {
        if (this.keepSilent?.(contact) !== true) this.table.remove(contact.id);
        if (this.events.rpcFailure.size > 0) this.events.rpcFailure.emit({ contact, method, error });
      }
      throw error;
    }
  }

  /** In secure mode, an answer counts only from the node that proved the id we expect. @throws {ForgedIdentityError} */
  #checkProven(peer: Peer, id: NodeId): void {
    if (this.transport.proves(peer, id.bytes)) return;
    this.transport.stats.dropped["forged-id"]++;
    throw new ForgedIdentityError(peer, id.hex);
  }

  #requestOptions(options: OperationOptions): RequestOptions {
    const { signal, purpose } = options;
    return {
      timeoutMs: options.timeoutMs ?? this.rpcTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
      ...(purpose === undefined ? {} : { purpose }),
    };
  }

  /**
   * Hands over to `contact` the values it should hold: those for which it is among the k closest we know and we are
   * the closest holder (so that only one node sends each value). Done for every new contact; the health checks also
   * call it for a contact that answers again after failing (a healed partition), which may have missed values
   * written meanwhile. Fire and forget.
   */
  handOver(contact: Contact): void {
    for (const record of this.records.records()) {
      if (this.#shouldHandOver(contact, record.key)) {
        this.#call(contact, "store", [this.id.bytes, record.key.bytes, record.value]).catch(() => {});
      }
    }
  }

  /**
   * We heard from `contact` (a request, or an answer). One heard from for the first time gets its values handed
   * over: a new contact, or one that was only named by others so far (after a healed partition, the refresh learns
   * the other side's nodes by name first, and those missed what this side wrote meanwhile).
   */
  #welcome(contact: Contact): void {
    // A plaintext sender may be spoofed: it becomes a contact once its address answers a probe.
    if (!this.transport.reaches(contact)) return this.transport.validate(contact, () => this.#welcome(contact));
    const firstHeard = (this.table.lastSeenMs(contact.id) ?? 0) === 0;
    const outcome = this.table.add(contact);
    if ((outcome === "added" || (outcome === "updated" && firstHeard)) && this.records.size > 0) {
      this.handOver(contact);
    }
  }

  /**
   * `gone` left the routing table (it died, or is out of reach): for each value of which this node is the closest
   * holder it knows and `gone` was one of the k closest, its k - 1 closest neighbours get a copy, so
   * that values keep k replicas as holders die (the writer's republish would restore them only an hour later).
   */
  #replicateAfterLoss(gone: Contact): void {
    const k = this.table.k;
    for (const record of this.records.records()) {
      const key = record.key;
      const neighbours = this.table.closest(key, k - 1);
      // The k closest are this node and its k - 1 closest neighbours when it is the closest of all.
      if (neighbours.length === 0 || this.id.distanceTo(key) > neighbours[0]!.id.distanceTo(key)) continue;
      // With fewer than k - 1 neighbours every one of them should hold a copy, whoever left.
      if (neighbours.length === k - 1 && gone.id.distanceTo(key) > neighbours[k - 2]!.id.distanceTo(key)) continue;
      // Not only the entrant: which neighbours hold a copy is unknown (a write reaches the k closest its writer
      // found, and losses seen before this node became the closest holder went unrepaired), so all get one.
      for (const heir of neighbours) {
        this.#call(heir, "store", [this.id.bytes, key.bytes, record.value]).catch(() => {});
      }
    }
  }

  #shouldHandOver(contact: Contact, key: NodeId): boolean {
    const neighbours = this.table.closest(key, this.table.k, contact.id);
    if (neighbours.length === 0) return true;
    const newIsClose = neighbours.length < this.table.k ||
      contact.id.distanceTo(key) < neighbours[neighbours.length - 1]!.id.distanceTo(key);
    const selfIsClosest = this.id.distanceTo(key) < neighbours[0]!.id.distanceTo(key);
    return newIsClose && selfIsClosest;
  }
}

function encodedSize(value: StoredValue): number {
  return encodeValue(value).length;
}
