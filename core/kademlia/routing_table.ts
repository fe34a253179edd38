import { type Contact, sortByDistance } from "./contact.ts";
import { Emitter } from "./emitter.ts";
import { ID_SPACE, NodeId } from "./node_id.ts";
import { runtime } from "../runtime/mod.ts";
import { anyCloser, type BucketInfo, bucketInfo, KBucket, nearestFirst, type Slots } from "./k_bucket.ts";
import { addressOf, sharedContact } from "./contact_pool.ts";

export type { BucketInfo };

/** Asks a contact whether it is alive; resolves `false` on no answer. */
export type PingFn = (contact: Contact) => Promise<boolean>;

/**
 * What `RoutingTable.add()` did with a contact: "ignored" is for a hearsay contact that found no free slot, or one
 * that the diversity limits refuse (its address held by another id, or too many contacts of its host in the
 * bucket); "blocked" for one whose id is on the deny list.
 */
export type AddOutcome = "added" | "updated" | "cached" | "ignored" | "blocked" | "self";

/** Options of {@linkcode RoutingTable}. */
export interface RoutingTableOptions {
  /** Bucket size. @default {20} */
  k?: number;
  /** Used to ping the least-recently-seen contact of a full bucket; without it a full bucket keeps its contacts. */
  ping?: PingFn;
  /**
   * Most contacts of one IP address in one bucket, as libp2p's diversity filter: one machine cannot take over a
   * bucket by opening many ports. Loopback addresses are exempt (the many nodes of one test or benchmark
   * machine). @default {8}
   */
  maxPerHostPerBucket?: number;
  /**
   * Decides whether a contact only heard of may take a free slot, and the node's lookups query it (health checks
   * refuse contacts they just found dead, which slower nodes still name); contacts heard from directly are always
   * admitted. @default admits all
   */
  admitHearsay?: (contact: Contact) => boolean;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** A contact heard from within this long is alive: another id claiming its address does not get it pinged. */
const HOLDER_ALIVE_MS = 60_000;

/**
 * A change of the table's membership: a contact took a slot, or lost it (`promoted` names the replacement that
 * took its slot, if any). Contacts that only pass through a replacement cache are not reported.
 */
export type TableChange =
  | { readonly kind: "added"; readonly contact: Contact }
  | { readonly kind: "removed"; readonly contact: Contact; readonly promoted?: Contact };

/**
 * The k-bucket routing table of the Kademlia paper: buckets cover ranges of the id space and split when full if
 * they cover our own id or their depth is not a multiple of 5; otherwise the newcomer waits in a replacement cache
 * while the least recently seen contact is pinged, and takes its place only if it does not answer.
 */
export class RoutingTable {
  readonly self: NodeId;
  /** Reports every contact that takes or loses a slot. */
  readonly changes: Emitter<TableChange> = new Emitter();
  /** Whether a contact only heard of may take a free slot and be queried (see the option of that name). */
  readonly admitHearsay: ((contact: Contact) => boolean) | undefined;
  #k: number;
  readonly #ping: PingFn | undefined;
  readonly #now: () => number;
  #buckets: KBucket[];
  /**
   * The buckets count when a contact was last heard from in milliseconds since this epoch: small integers stay
   * unboxed in their arrays, where epoch milliseconds (1.8e12) would each be a heap number, and a host of a thousand
   * nodes holds 200,000 of them, rewritten at every answer.
   */
  readonly #epochMs: number;
  /** Ids (hex) that may never take a slot: nodes an operator isolated. */
  readonly #blocked = new Set<string>();
  readonly #maxPerHost: number;
  /** The id (hex) holding each address (host:port) in a bucket: one socket is one node, whatever ids it claims. */
  readonly #holders = new Map<string, string>();
  /** Holders of a contested address being pinged. */
  readonly #checking = new Set<string>();

  constructor(self: NodeId, options: RoutingTableOptions = {}) {
    this.self = self;
    this.#k = checkK(options.k ?? 20);
    this.#ping = options.ping;
    this.#now = options.now ?? runtime.now;
    this.#maxPerHost = options.maxPerHostPerBucket ?? 8;
    this.admitHearsay = options.admitHearsay;
    this.#buckets = [new KBucket(0n, ID_SPACE, this.#now())];
    this.#epochMs = Math.round(this.#now()) - EPOCH_MARGIN_MS;
  }

  /** Bucket size in force. */
  get k(): number {
    return this.#k;
  }

  /** Changes the bucket size live; shrinking moves the least recently seen surplus into the replacement caches. */
  set k(value: number) {
    this.#k = checkK(value);
    for (const { live, spare } of this.#buckets) {
      while (live.size > this.#k) {
        const [contact, seen] = [live.contacts[0]!, live.seen[0]!];
        live.removeAt(0);
        this.#holders.delete(addressOf(contact));
        spare.push(contact, seen);
      }
      this.#trimReplacements(spare);
    }
  }

  /** Number of contacts in all buckets (replacement caches excluded). */
  get size(): number {
    let n = 0;
    for (const bucket of this.#buckets) n += bucket.live.size;
    return n;
  }

  /**
   * Records that `contact` was seen: adds it, refreshes it, or caches it as a replacement. A contact only heard
   * of (named by another node, not heard from) takes a free slot or nothing: it never displaces a known one.
   */
  add(contact: Contact, options: { hearsay?: boolean } = {}): AddOutcome {
    if (contact.id.equals(this.self)) return "self";
    if (this.#blocked.has(contact.id.hex)) return "blocked";
    const bucket = this.#bucketFor(contact.id);
    const hex = contact.id.hex;
    const at = bucket.live.indexOf(hex);
    const held = at < 0 ? undefined : bucket.live.contacts[at];
    const known = held !== undefined;
    if (known && options.hearsay) return "updated";
    if (options.hearsay && this.admitHearsay?.(contact) === false) return "ignored";
    // One object per peer for every table of the process (see contact_pool.ts).
    contact = held?.host === contact.host && held.port === contact.port ? held : sharedContact(contact);
    if (!this.#diverse(bucket, contact)) return "ignored";
    if (known || bucket.live.size < this.#k) {
      this.#place(bucket, contact, options.hearsay ? this.#seenOf(bucket, hex) ?? 0 : this.#clock());
      bucket.lastUpdatedMs = this.#now();
      if (known) return "updated";
      this.changes.emit({ kind: "added", contact });
      return "added";
    }
    if (bucket.covers(this.self) || bucket.depth % 5 !== 0) {
      this.#split(bucket);
      return this.add(contact, options);
    }
    if (options.hearsay) return "ignored";
    bucket.spare.remove(hex);
    bucket.spare.push(contact, this.#clock());
    this.#trimReplacements(bucket.spare);
    this.#pingLeastRecentlySeen(bucket);
    return "cached";
  }

  /** Drops a contact (it failed to answer) and promotes the freshest replacement into its slot. */
  remove(id: NodeId): boolean {
    const bucket = this.#bucketFor(id);
    const { live, spare } = bucket;
    spare.remove(id.hex);
    const at = live.indexOf(id.hex);
    if (at < 0) return false;
    const contact = live.contacts[at]!;
    live.removeAt(at);
    this.#holders.delete(addressOf(contact));
    let promote = spare.size - 1;
    while (promote >= 0 && this.#holders.has(addressOf(spare.contacts[promote]!))) promote--;
    if (promote < 0) {
      this.changes.emit({ kind: "removed", contact });
      return true;
    }
    const newest = spare.contacts[promote]!;
    this.#place(bucket, newest, spare.seen[promote]!);
    this.changes.emit({ kind: "removed", contact, promoted: newest });
    this.changes.emit({ kind: "added", contact: newest });
    return true;
  }

  /**
   * Puts an id on the deny list: it leaves the table (and its replacement cache) now and {@linkcode RoutingTable.add} refuses it
   * from then on, heard from or only heard of; the node built on the table leaves its requests unanswered.
   * @returns whether it held a slot
   */
  block(id: NodeId): boolean {
    this.#blocked.add(id.hex);
    return this.remove(id);
  }

  /** Takes an id off the deny list (it may take a slot again the next time it is seen); returns whether it was on. */
  unblock(id: NodeId): boolean {
    return this.#blocked.delete(id.hex);
  }

  /** Whether the id is on the deny list. */
  isBlocked(id: NodeId): boolean {
    return this.#blocked.has(id.hex);
  }

  /** The ids on the deny list (hex), in the order they were blocked. */
  blocked(): string[] {
    return [...this.#blocked];
  }

  /** Whether the contact was heard from directly (a request or an answer), not only named by others. */
  heardFrom(id: NodeId): boolean {
    return (this.#seenOf(this.#bucketFor(id), id.hex) ?? 0) !== 0;
  }

  /** When the contact was last heard from (a request or an answer), in ms; 0 if only heard of; undefined if unknown. */
  lastSeenMs(id: NodeId): number | undefined {
    const since = this.#seenOf(this.#bucketFor(id), id.hex);
    return since === undefined || since === 0 ? since : since + this.#epochMs;
  }

  /** The contact with this id, if it is in a bucket. */
  get(id: NodeId): Contact | undefined {
    const { live } = this.#bucketFor(id);
    const at = live.indexOf(id.hex);
    return at < 0 ? undefined : live.contacts[at];
  }

  /**
   * Up to `count` contacts closest to `target`, closest first, optionally leaving one id out, or every contact
   * that `accept` refuses.
   */
  closest(
    target: NodeId,
    count: number = this.#k,
    exclude?: NodeId,
    accept?: (contact: Contact) => boolean,
  ): Contact[] {
    const found: Contact[] = [];
    for (const bucket of nearestFirst(this.#buckets, target)) {
      if (found.length >= count) break;
      const members = bucket.live.contacts.filter((c) =>
        (exclude === undefined || !c.id.equals(exclude)) && (accept === undefined || accept(c))
      );
      found.push(...sortByDistance(members, target));
    }
    return found.slice(0, count);
  }

  /** Whether a contact other than `exclude` is closer to `target` than `distance` (cheaper than `closest`). */
  hasCloser(target: NodeId, distance: bigint, exclude?: NodeId): boolean {
    return anyCloser(this.#buckets, target, distance, exclude);
  }

  /** Every contact, bucket by bucket. */
  contacts(): Contact[] {
    return this.#buckets.flatMap((bucket) => bucket.live.contacts);
  }

  /** Diagnostics of every bucket, lowest range first. */
  buckets(): BucketInfo[] {
    return this.#buckets.map(bucketInfo);
  }

  /** Diagnostics of the bucket whose range covers `id`. */
  bucketOf(id: NodeId): BucketInfo {
    return bucketInfo(this.#bucketFor(id));
  }

  /** Ranges of the buckets not updated for `olderThanMs`: the ones a refresh should look up. */
  staleRanges(olderThanMs: number): Array<[bigint, bigint]> {
    const limit = this.#now() - olderThanMs;
    return this.#buckets.filter((b) => b.lastUpdatedMs <= limit).map((b) => [b.lo, b.hi]);
  }

  /** Marks the bucket holding `id` as just refreshed. */
  touchRange(id: NodeId): void {
    this.#bucketFor(id).lastUpdatedMs = this.#now();
  }

  /**
   * Puts `contact` in `bucket` as its most recently seen member, last heard from at `seen` (table time), out of
   * the replacement cache (it may be in the bucket already, maybe at another address).
   */
  #place(bucket: KBucket, contact: Contact, seen: number): void {
    const hex = contact.id.hex;
    const at = bucket.live.indexOf(hex);
    const previous = at < 0 ? undefined : bucket.live.contacts[at];
    if (previous !== contact) {
      if (previous !== undefined) this.#holders.delete(addressOf(previous));
      this.#holders.set(addressOf(contact), hex);
    }
    if (at >= 0) bucket.live.removeAt(at);
    bucket.live.push(contact, seen);
    bucket.spare.remove(hex);
  }

  /** When the contact with id `hex` was last heard from (table time; 0: only heard of), if `bucket` holds it. */
  #seenOf(bucket: KBucket, hex: string): number | undefined {
    const at = bucket.live.indexOf(hex);
    if (at >= 0) return bucket.live.seen[at];
    const spare = bucket.spare.indexOf(hex);
    return spare < 0 ? undefined : bucket.spare.seen[spare];
  }

  /** Now, as the table counts time: milliseconds since its epoch, never 0 (which means "only heard of"). */
  #clock(): number {
    return Math.max(1, Math.round(this.#now()) - this.#epochMs);
  }

  /**
   * The diversity limits: an address held by another id is not taken (that holder is pinged if it has been quiet,
   * so that a node restarted with a new id gets its address back), and one IP address fills at most
   * `maxPerHostPerBucket` slots of a bucket.
   */
  #diverse(bucket: KBucket, contact: Contact): boolean {
    const holder = this.#holders.get(addressOf(contact));
    if (holder !== undefined && holder !== contact.id.hex) {
      this.#checkHolder(holder);
      return false;
    }
    if (holder !== undefined || isLoopback(contact.host)) return true;
    let sameHost = 0;
    for (const member of bucket.live.contacts) if (member.host === contact.host) sameHost++;
    return sameHost < this.#maxPerHost;
  }

  /** Pings the holder of a contested address unless it was heard from lately; it leaves if it does not answer. */
  #checkHolder(hex: string): void {
    const id = NodeId.fromHex(hex);
    const holder = this.get(id);
    const ping = this.#ping;
    if (ping === undefined || holder === undefined || this.#checking.has(hex)) return;
    if (this.#now() - (this.lastSeenMs(id) ?? 0) < HOLDER_ALIVE_MS) return;
    this.#checking.add(hex);
    ping(holder).catch(() => false).then((alive) => {
      this.#checking.delete(hex);
      if (!alive) return void this.remove(id);
      const { live } = this.#bucketFor(id);
      const at = live.indexOf(hex);
      if (at >= 0) live.seen[at] = this.#clock();
    });
  }

  #bucketFor(id: NodeId): KBucket {
    const v = id.value;
    let lo = 0;
    let hi = this.#buckets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#buckets[mid]!.hi <= v) lo = mid + 1;
      else hi = mid;
    }
    return this.#buckets[lo]!;
  }

  #split(bucket: KBucket): void {
    const mid = bucket.lo + (bucket.hi - bucket.lo) / 2n;
    const left = new KBucket(bucket.lo, mid, bucket.lastUpdatedMs);
    const right = new KBucket(mid, bucket.hi, bucket.lastUpdatedMs);
    bucket.live.contacts.forEach((c, i) => (c.id.value < mid ? left : right).live.push(c, bucket.live.seen[i]!));
    bucket.spare.contacts.forEach((c, i) => (c.id.value < mid ? left : right).spare.push(c, bucket.spare.seen[i]!));
    this.#buckets.splice(this.#buckets.indexOf(bucket), 1, left, right);
  }

  /** Forgets the least recently seen replacements beyond k. */
  #trimReplacements(spare: Slots): void {
    while (spare.size > this.#k) spare.removeAt(0);
  }

  #pingLeastRecentlySeen(bucket: KBucket): void {
    const ping = this.#ping;
    const oldest = bucket.live.contacts[0];
    if (ping === undefined || oldest === undefined || bucket.pingInFlight) return;
    bucket.pingInFlight = true;
    ping(oldest).catch(() => false).then((alive) => {
      bucket.pingInFlight = false;
      const { live } = this.#bucketFor(oldest.id);
      const at = live.indexOf(oldest.id.hex);
      if (at < 0) return;
      if (!alive) return void this.remove(oldest.id);
      // It answered: the most recently seen now, the newcomer stays a replacement.
      const [contact, seen] = [live.contacts[at]!, live.seen[at]!];
      live.removeAt(at);
      live.push(contact, seen);
    });
  }
}

/** How far before its creation a table's clock epoch lies: times stay small integers for weeks either way. */
const EPOCH_MARGIN_MS = 2 ** 29;

function isLoopback(host: string): boolean {
  return host.startsWith("127.") || host === "::1" || host === "localhost";
}

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`Cannot use bucket size ${k}: expected an integer >= 1`);
  return k;
}
