import {
  ForgedIdentityError,
  formatPeer,
  isWildcardHost,
  type Peer,
  type RequestOptions,
  RpcRegistry,
  UdpTransport,
} from "../net/mod.ts";
import type { Contact } from "./contact.ts";
import { Emitter } from "./emitter.ts";
import { hearsayAdmission } from "./hearsay_admission.ts";
import { LiveParameters } from "./live_parameters.ts";
import { NodeId } from "./node_id.ts";
import { registerKademliaRpcs } from "./protocol.ts";
import { Publications } from "./publications.ts";
import { RecordStore } from "./records.ts";
import { joinThrough, type LookupHost, refreshBucket, runLookup } from "./node_lookups.ts";
import { Replication } from "./replication.ts";
import { RoutingTable } from "./routing_table.ts";
import { storeRefusal } from "./store_policy.ts";
import { StoreRefusals } from "./store_refusals.ts";
import { StallRecovery } from "./stall_recovery.ts";
import { Upkeep } from "./upkeep.ts";
import { type DhtValue, MAX_VALUE_BYTES, type StoredValue, toBoundedDhtValue, toDhtValueView } from "./value.ts";
import { parseId } from "./wire_types.ts";
import { SigningIdentity } from "../crypto/mod.ts";
import type { SecureEnvelope } from "../security/mod.ts";
import { runtime } from "../runtime/mod.ts";
import {
  type BootstrapResult,
  type ContactLiveness,
  type GetOptions,
  type KademliaNodeOptions,
  type LookupEvent,
  type OperationOptions,
  type RpcFailureEvent,
  secureEnvelopeOf,
  type SetResult,
} from "./node_options.ts";

export * from "./node_options.ts";

/**
 * One Kademlia DHT node: a UDP socket, a routing table, a value store and the legacy RPCs, plus the client
 * operations (bootstrap, lookups, set/get) and the periodic upkeep (expiry, republish). The refresh of idle buckets
 * is the refresh manager's (core/refresh), attached with the node's services.
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
  /** Publishing, republishing, hand-overs to new contacts and repairs after a holder is lost. */
  readonly replication: Replication;
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
  /** Alpha, k, the RPC timeout and the refresh interval in force; `parameters.update()` changes them live. */
  readonly parameters: LiveParameters;
  /** How long a lookup waits for a silent contact before going on without it. */
  lookupStallMs: number;
  /**
   * Which contacts only heard of are admitted, and which contacts that missed an answer stay in the routing table
   * (see {@linkcode ContactLiveness}); unset, the paper's rules. Given at construction: the health checks' policy.
   */
  readonly liveness: ContactLiveness | undefined;
  readonly #options: Required<Pick<KademliaNodeOptions, "republishIntervalS" | "maxValueBytes" | "now">>;
  readonly #lookups: LookupHost;
  #advertisedHost: string | undefined;
  readonly #upkeep: Upkeep;
  readonly #stallRecovery: StallRecovery | undefined;

  private constructor(options: KademliaNodeOptions) {
    const now = options.now ?? runtime.now;
    // One identity for the envelope and the key exchange, which signs with it.
    const identity = options.secure === undefined ? undefined : options.identity ?? SigningIdentity.generate();
    this.envelope = secureEnvelopeOf({ ...options, identity }, now);
    this.identity = identity;
    this.id = this.envelope?.nodeId ?? options.id ?? NodeId.random();
    this.role = options.role ?? "worker";
    this.lookupStallMs = options.lookupStallMs ?? 1000;
    this.liveness = options.liveness;
    this.#stallRecovery = StallRecovery.of(options, () => this.findNode(this.id, { purpose: "stall" }));
    this.#advertisedHost = options.advertisedHost;
    this.#options = {
      republishIntervalS: options.republishIntervalS ?? 3600,
      maxValueBytes: options.maxValueBytes ?? MAX_VALUE_BYTES,
      now,
    };
    this.table = new RoutingTable(this.id, {
      k: options.k ?? 20,
      now,
      ping: (contact) => this.ping(contact).then((id) => id.equals(contact.id), () => false),
      ...(options.liveness ? { admitHearsay: hearsayAdmission(options.liveness, (c) => this.ping(c)) } : {}),
    });
    this.parameters = new LiveParameters(this.table, {
      alpha: options.alpha ?? 3,
      timeoutMs: options.rpcTimeoutMs ?? 5000,
      refreshIntervalS: options.refreshIntervalS ?? 3600,
    });
    this.records = new RecordStore({
      ttlS: options.valueTtlS,
      maxRecords: options.maxStoredValues,
      maxBytes: options.maxStorageBytes,
      maxRecordsPerSource: options.maxStoredValuesPerSource,
      maxBytesPerSource: options.maxStorageBytesPerSource,
      now,
    });
    this.publications = new Publications({ limit: options.maxStoredValues, now });
    this.replication = new Replication({
      id: this.id,
      table: this.table,
      records: this.records,
      publications: this.publications,
      findNode: (target, operation) => this.findNode(target, operation),
      call: (contact, method, args, operation) => this.#call(contact, method, args, operation),
      storeHere: (key, value) => this.#storeHere(key, value),
    }, options.replication);
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
      onStall: (lateMs) => this.#stallRecovery?.stalled(lateMs),
    });
    if (options.onLookup) this.events.lookup.on(options.onLookup);
    this.#lookups = { node: this, call: (contact, method, args, op) => this.#call(contact, method, args, op) };
    this.table.changes.on((change) => {
      if (change.kind === "removed") this.replication.replicateAfterLoss(change.contact);
    });
    this.#upkeep = new Upkeep(
      {
        records: this.records,
        replication: this.replication,
        republishIntervalMs: this.#options.republishIntervalS * 1000,
      },
      options.maintenanceIntervalMs ?? 60_000,
      warn,
    );
  }

  /** Binds the node's socket and starts its upkeep. @throws {Deno.errors.AddrInUse} when the port is taken */
  static start(options: KademliaNodeOptions = {}): KademliaNode {
    return new KademliaNode(options);
  }

  /** Lookup parallelism in force. */
  get alpha(): number {
    return this.parameters.alpha;
  }

  /** RPC timeout in force. */
  get rpcTimeoutMs(): number {
    return this.parameters.timeoutMs;
  }

  /** The normal refresh interval of idle buckets (the refresh manager's strategy derives the one in force). */
  get refreshIntervalS(): number {
    return this.parameters.refreshIntervalS;
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
  bootstrap(peers: readonly Peer[], options: OperationOptions & { join?: boolean } = {}): Promise<BootstrapResult> {
    return joinThrough(this.#lookups, peers, options);
  }

  /** The k closest live contacts to `target` found by an iterative lookup. */
  async findNode(target: NodeId, options: OperationOptions = {}): Promise<Contact[]> {
    return (await runLookup(this.#lookups, target, false, options)).closest;
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
   * Refreshes the bucket covering `id` without a lookup: one find_node (tagged "refresh") to each of the `width`
   * known contacts closest to a random id of its range; the contacts they name may take free slots, contacts that
   * do not answer are removed (as in lookups). @returns how many contacts took a slot
   */
  refreshBucket(id: NodeId, options: OperationOptions & { width?: number } = {}): Promise<number> {
    return refreshBucket(this.#lookups, id, options);
  }

  /**
   * Finds the node with id `id` by an iterative lookup that stops as soon as that node answers.
   * @returns its contact, or `undefined` when the lookup ends without reaching it
   */
  async locate(id: NodeId, options: OperationOptions = {}): Promise<Contact | undefined> {
    const { closest } = await runLookup(this.#lookups, id, false, { ...options, stopAt: id });
    return closest.find((c) => c.id.equals(id));
  }

  /**
   * Stores a value under `key` on the k closest nodes (and here too when this node is one of them, as legacy
   * nodes do), and remembers it to republish it every republish interval.
   * @throws {InvalidValueError} for a value of the wrong type or too large; nothing is stored then
   */
  async set(key: string | NodeId, value: unknown, options: OperationOptions = {}): Promise<SetResult> {
    const dhtValue = toBoundedDhtValue(value, this.#options.maxValueBytes);
    const dkey = typeof key === "string" ? await NodeId.digest(key) : key;
    this.publications.published(dkey, dhtValue);
    return await this.replication.publish(dkey, dhtValue, options);
  }

  /**
   * The value under `key`: from this node if held (and accepted), else by a value lookup; `undefined` when nobody
   * has it.
   */
  async get(key: string | NodeId, options: GetOptions = {}): Promise<DhtValue | undefined> {
    const dkey = typeof key === "string" ? await NodeId.digest(key) : key;
    const local = this.records.get(dkey);
    if (local !== undefined && (options.accept?.(local) ?? true)) return toDhtValueView(local);
    const result = await runLookup(this.#lookups, dkey, true, options);
    if (result.found === undefined) return undefined;
    const { value, from } = result.found;
    // Cache the value one step closer to where lookups come from: the closest node that lacked it.
    const cacheAt = result.closest.find((c) => !c.id.equals(from.id));
    if (cacheAt !== undefined) this.#call(cacheAt, "store", [this.id.bytes, dkey.bytes, value]).catch(() => {});
    return toDhtValueView(value as StoredValue);
  }

  /** Expires values and republishes written values that are due. */
  maintain(): Promise<void> {
    return this.#upkeep.run();
  }

  /**
   * Stores every value this node wrote again now, as the upkeep does each republish interval: after a partition
   * heals, the nodes now closest to a key written on one side may lack it. Resolves with how many it stored.
   */
  republish(options: Pick<OperationOptions, "signal"> = {}): Promise<number> {
    return this.replication.republish(0, options);
  }

  /** Stops the upkeep and closes the socket; pending requests fail. Idempotent. */
  async stop(): Promise<void> {
    this.#upkeep.stop();
    this.replication.stop();
    await this.transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Stores a value here (sent by `from`, or written here) unless {@linkcode storeRefusal} refuses it (counted and
   * warned about; what was held stays). @returns whether it was stored
   */
  #storeHere(key: NodeId, value: StoredValue, from?: Contact): boolean {
    const refusal = storeRefusal(this.records, key, value, from?.host, this.#options);
    if (refusal !== undefined) this.storeRefusals.record(refusal, key, from);
    return refusal === undefined;
  }

  /** An RPC to a known contact: an answer welcomes it into the routing table, no answer removes it (see liveness). */
  async #call(contact: Contact, method: string, args: unknown[], options: OperationOptions = {}): Promise<unknown> {
    try {
      return await this.request(contact, method, args, options);
    } catch (error) {
      if (!options.signal?.aborted) {
        const kept = this.liveness?.keepSilent(contact, this.table.lastSeenMs(contact.id)) === true;
        if (!kept) this.table.remove(contact.id);
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
   * Queues the hand-over to `contact` of the values it should hold ({@linkcode Replication.handOver}): for every new
   * contact, and (health checks) for one that answers again after failing, which may have missed values meanwhile.
   */
  handOver(contact: Contact): void {
    this.replication.handOver(contact);
  }

  /**
   * We heard from `contact` (a request, an answer). One heard from for the first time gets its values handed over:
   * a new contact, or one only named so far (after a healed partition, the other side's nodes are named first).
   */
  #welcome(contact: Contact): void {
    // A plaintext sender may be spoofed: it becomes a contact once its address answers a probe.
    if (!this.transport.reaches(contact)) return this.transport.validate(contact, () => this.#welcome(contact));
    const firstHeard = (this.table.lastSeenMs(contact.id) ?? 0) === 0;
    const outcome = this.table.add(contact);
    if (outcome === "added" || (outcome === "updated" && firstHeard)) this.replication.handOver(contact);
  }
}
