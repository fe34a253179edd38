/** 160-bit Kademlia identifiers and the XOR metric. */
import { equalBytes, prefix48, toHex } from "../bytes.ts";
import { runtime } from "../runtime/mod.ts";

/** Length of a node id or DHT key in bytes. */
export const ID_BYTES = 20;
/** Length of a node id or DHT key in bits. */
export const ID_BITS = ID_BYTES * 8;
/** One past the largest id, as a number: the id space is `[0, ID_SPACE)`. */
export const ID_SPACE: bigint = 1n << BigInt(ID_BITS);

/**
 * The ids of contacts are interned, so that 1000 routing tables in one process share one object per peer and an id
 * read off the wire costs no allocation once it is a contact. Only routing tables intern ({@linkcode NodeId.intern}):
 * ids a stranger makes up (a lookup target, a forged sender) would otherwise fill the cache and clear it. The key is
 * the id's top 48 bits (an exact float); on the rare clash of two ids with the same prefix the second is not interned.
 */
const INTERN_LIMIT = 1 << 18;
const interned = new Map<number, NodeId>();

/**
 * A 160-bit id of a node or a DHT key. The numeric value is computed once, so that XOR distances are
 * cheap bigint operations, and the top 53 bits are kept as a float for faster distance ordering.
 */
export class NodeId {
  readonly bytes: Uint8Array;
  readonly value: bigint;
  readonly hex: string;
  /** Top 32 bits, unsigned. */
  readonly high: number;
  /** The next 21 bits. */
  readonly low: number;

  private constructor(bytes: Uint8Array, hex: string) {
    this.bytes = bytes;
    this.hex = hex;
    this.value = BigInt("0x" + hex);
    this.high = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    this.low = (bytes[4]! << 13) | (bytes[5]! << 5) | (bytes[6]! >>> 3);
  }

  /** The id of 20 bytes (copied). @throws {TypeError} when the length is not 20 */
  static fromBytes(bytes: Uint8Array): NodeId {
    if (!(bytes instanceof Uint8Array) || bytes.length !== ID_BYTES) {
      throw new TypeError(`Cannot make a node id: expected ${ID_BYTES} bytes, got ${describeLength(bytes)}`);
    }
    const known = interned.get(prefix48(bytes));
    if (known !== undefined && equalBytes(known.bytes, bytes)) return known;
    return new NodeId(Uint8Array.from(bytes), toHex(bytes));
  }

  /** The shared instance of `id`, which becomes it when no id with the same prefix is interned. */
  static intern(id: NodeId): NodeId {
    const key = prefix48(id.bytes);
    const known = interned.get(key);
    if (known !== undefined) return equalBytes(known.bytes, id.bytes) ? known : id;
    if (interned.size >= INTERN_LIMIT) interned.clear();
    interned.set(key, id);
    return id;
  }

  /** Parses 40 hex digits. @throws {SyntaxError} on anything else */
  static fromHex(hex: string): NodeId {
    if (!/^[0-9a-fA-F]{40}$/.test(hex)) {
      throw new SyntaxError(`Cannot parse a node id: expected 40 hex digits, got "${hex}"`);
    }
    const bytes = new Uint8Array(ID_BYTES);
    for (let i = 0; i < ID_BYTES; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return NodeId.fromBytes(bytes);
  }

  /** The id whose numeric value is `value` (taken modulo the id space). */
  static fromValue(value: bigint): NodeId {
    return NodeId.fromHex(BigInt.asUintN(ID_BITS, value).toString(16).padStart(ID_BYTES * 2, "0"));
  }

  /** A uniformly random id. */
  static random(): NodeId {
    const bytes = runtime.randomBytes(new Uint8Array(ID_BYTES));
    return new NodeId(bytes, toHex(bytes));
  }

  /** A uniformly random id in `[lo, hi)`. */
  static randomInRange(lo: bigint, hi: bigint): NodeId {
    if (hi <= lo) throw new RangeError(`Cannot pick an id: empty range [${lo}, ${hi})`);
    const span = hi - lo;
    const r = NodeId.random().value % span;
    return NodeId.fromValue(lo + r);
  }

  /** The DHT key of a user key: `sha1(utf8(key))`, as the legacy nodes compute it. */
  static async digest(key: string | Uint8Array): Promise<NodeId> {
    const data = typeof key === "string" ? new TextEncoder().encode(key) : key;
    return NodeId.fromBytes(new Uint8Array(await crypto.subtle.digest("SHA-1", data as BufferSource)));
  }

  /** The top 53 bits of the XOR distance, as a float: orders distances except between ids sharing 53 bits. */
  roughDistanceTo(other: NodeId): number {
    return ((this.high ^ other.high) >>> 0) * 2097152 + (this.low ^ other.low);
  }

  /** XOR distance to another id. */
  distanceTo(other: NodeId): bigint {
    return this.value ^ other.value;
  }

  equals(other: NodeId): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return this.hex;
  }
}

function describeLength(bytes: unknown): string {
  return bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
}
