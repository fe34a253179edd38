import { runtime } from "../../core/runtime/mod.ts";
/** Injected randomness: the interface every role draws from, the system default and a seeded generator. */

/** A source of uniformly random bytes, shaped like `crypto.getRandomValues`. */
export interface RandomSource {
  /** Fills `bytes` with random bytes. */
  fill(bytes: Uint8Array): void;
}

/** The largest request `crypto.getRandomValues` accepts at once. */
const CRYPTO_CHUNK_BYTES = 65_536;

/** The operating system's CSPRNG through `crypto.getRandomValues`: the default of every role. */
export const cryptoRandom: RandomSource = {
  fill(bytes) {
    for (let at = 0; at < bytes.length; at += CRYPTO_CHUNK_BYTES) {
      runtime.randomBytes(bytes.subarray(at, at + CRYPTO_CHUNK_BYTES));
    }
  },
};

/**
 * A deterministic generator (xoshiro128**, state mixed in with splitmix32): the same seed gives the same stream,
 * so that a randomized test replays and two parties can derive the same choice from a shared seed. Not a CSPRNG.
 *
 * @example Two generators with one seed agree
 * ```ts
 * import { SeededRandom } from "./random.ts";
 * const a = new Uint8Array(4), b = new Uint8Array(4);
 * new SeededRandom(42).fill(a);
 * new SeededRandom(42).fill(b);
 * console.assert(a.join() === b.join());
 * ```
 */
export class SeededRandom implements RandomSource {
  readonly #state = new Uint32Array(4);

  /** @param seed a 32-bit integer, or bytes of any length (all of them count) */
  constructor(seed: number | Uint8Array) {
    const words = typeof seed === "number" ? [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0] : bytesToWords(seed);
    let mix = 0x9e3779b9;
    for (const word of words) mix = splitmix32(mix ^ word);
    for (let i = 0; i < 4; i++) {
      mix = splitmix32(mix);
      this.#state[i] = mix;
    }
  }

  /** The next 32 random bits as an unsigned integer. */
  next(): number {
    const s = this.#state;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  fill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i += 4) {
      const word = this.next();
      for (let j = 0; j < 4 && i + j < bytes.length; j++) bytes[i + j] = word >>> (8 * j);
    }
  }
}

/** `count` random bits, one per byte (0 or 1). */
export function randomBits(count: number, source: RandomSource): Uint8Array {
  const packed = new Uint8Array(Math.ceil(count / 8));
  source.fill(packed);
  const bits = new Uint8Array(count);
  for (let i = 0; i < count; i++) bits[i] = (packed[i >>> 3]! >>> (i & 7)) & 1;
  return bits;
}

/** `count` numbers uniform in [0, 1), with 32 bits of resolution. */
export function randomUnits(count: number, source: RandomSource): Float64Array {
  const words = new Uint32Array(count);
  source.fill(new Uint8Array(words.buffer));
  const units = new Float64Array(count);
  for (let i = 0; i < count; i++) units[i] = words[i]! / 2 ** 32;
  return units;
}

/** A uniform integer in [0, bound), without modulo bias. @throws {RangeError} unless 1 ≤ bound ≤ 2³² */
export function randomBelow(bound: number, source: RandomSource): number {
  if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32) {
    throw new RangeError(`Cannot draw a random integer: bound must be an integer in 1-2^32, got ${bound}`);
  }
  // Words in the last incomplete run of `bound` values would favour the small results: draw again.
  const limit = 2 ** 32 - (2 ** 32 % bound);
  do source.fill(scratchBytes); while (scratch[0]! >= limit);
  return scratch[0]! % bound;
}

/** One reused word for {@linkcode randomBelow}, a hot path of shuffles (drawing is synchronous). */
const scratch = new Uint32Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function randomPermutation(n: number, source: RandomSource): Uint32Array {
  const order = identityPermutation(n);
  for (let i = n - 1; i > 0; i--) {
    const j = randomBelow(i + 1, source);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/** The identity permutation 0..n-1. */
export function identityPermutation(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function bytesToWords(bytes: Uint8Array): number[] {
  const words = [bytes.length];
  for (let i = 0; i < bytes.length; i += 4) {
    words.push((bytes[i]! | (bytes[i + 1] ?? 0) << 8 | (bytes[i + 2] ?? 0) << 16 | (bytes[i + 3] ?? 0) << 24) >>> 0);
  }
  return words;
}
