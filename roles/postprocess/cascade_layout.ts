/**
 * The layout of Cascade's passes, which Alice and Bob derive alike from public values (key length, QBER estimate,
 * schedule and a seed) so that a block is named by (pass, start, end) of its pass's order instead of its positions.
 *
 * Pass 0 cuts the key as it is. Every later pass is a uniformly random partition drawn from a xoshiro128** stream
 * seeded with (seed, pass): a label per position, and the order lists the positions block by block, ascending within
 * a block (laid out only when a block is searched). A pass cut in two takes one random bit per position, 32 to a
 * word, and works on keys packed 32 bits to a word: n/32 operations for its block parities and less for a search.
 * (A Fisher–Yates shuffle costs a random word and a random swap per position and pass, on both sides.)
 */
import { SeededRandom } from "../quantum/mod.ts";
import { binaryEntropy } from "./secure_length.ts";

/**
 * Block-size schedules: "yan" (Yan et al.: ⌈0.8/q⌉, then 5× that, then half the key), "option7" (option 7 of the
 * Cascade study: 2^⌈log₂ 1/q⌉, then 4× that, then half the key; 14 passes) and "doubling" (⌈0.73/q⌉ doubling each
 * pass, capped at a quarter of the key; 6 passes). "yan" runs 16 passes where Yan et al. ran 10: a pass of two
 * blocks costs one parity bit (the other follows from the key's parity) and halves the chance that a pair of errors
 * left together by the first two passes survives; at 100,000 bits and 2 % errors, 10 passes left an error in 1.5 %
 * of keys (3 of 200), 16 passes in none of 200, for 0.06 % more parities.
 */
export type CascadeSchedule = "yan" | "option7" | "doubling";

/** The public parameters both sides lay the passes out from. */
export interface CascadePlanOptions {
  /**
   * Estimated QBER, which sizes the first blocks. Estimates below 1 % are taken as 1 %: a sample without errors still
   * leaves room for a few in the key.
   * @default {0.01}
   */
  qber?: number;
  /**
   * The block-size schedule. By default "yan" when the key holds enough errors (n·h(q) ≥ 400 parity bits' worth), else
   * "doubling": the 14 half-key passes of "yan" cost 14 parities, which a small key does not win back.
   */
  schedule?: CascadeSchedule;
  /** Number of passes. @default {16 for "yan", 14 for "option7", 6 for "doubling"} */
  passes?: number;
}

const MIN_QBER = 0.01;
const DEFAULT_PASSES: Record<CascadeSchedule, number> = { yan: 16, option7: 14, doubling: 6 };

/**
 * The block size of each pass for a key of `n` bits, each within 1..n.
 *
 * @throws {RangeError} when `passes` is not a positive integer, `qber` is not within 0-0.5 or `schedule` is unknown
 * @example
 * ```ts
 * import { cascadeBlockSizes } from "./cascade_layout.ts";
 * console.assert(cascadeBlockSizes(100_000, { qber: 0.02, passes: 4 }).join() === "40,200,50000,50000");
 * console.assert(cascadeBlockSizes(1000, { qber: 0.02 }).join() === "37,74,148,250,250,250");
 * ```
 */
export function cascadeBlockSizes(n: number, options: CascadePlanOptions = {}): number[] {
  const { qber = MIN_QBER } = options;
  const schedule = options.schedule ??
    (n * binaryEntropy(Math.max(Math.min(qber, 0.5), MIN_QBER)) >= 400 ? "yan" : "doubling");
  if (!Object.hasOwn(DEFAULT_PASSES, schedule)) {
    throw new RangeError(`Cannot run Cascade: unknown schedule ${schedule}`);
  }
  const passes = options.passes ?? DEFAULT_PASSES[schedule];
  if (!Number.isInteger(passes) || passes < 1 || passes > 64) {
    throw new RangeError(`Cannot run Cascade: passes must be an integer within 1-64, got ${passes}`);
  }
  if (!(qber >= 0 && qber <= 0.5)) throw new RangeError(`Cannot run Cascade: qber must be within 0-0.5, got ${qber}`);
  const q = Math.max(qber, MIN_QBER);
  const half = Math.floor(n / 2);
  const sizes: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    let size: number;
    if (schedule === "doubling") size = Math.min(Math.ceil(n / 4), Math.ceil(0.73 / q) * 2 ** pass);
    else if (schedule === "yan") size = pass === 0 ? Math.ceil(0.8 / q) : pass === 1 ? 5 * sizes[0]! : half;
    else size = pass === 0 ? 2 ** Math.ceil(Math.log2(1 / q)) : pass === 1 ? 4 * sizes[0]! : half;
    sizes.push(Math.max(1, Math.min(n, size)));
  }
  return sizes;
}

/**
 * A key of n bits as both sides hold it for Cascade: one bit per byte, and packed 32 to a word (bit i of word w is
 * position 32·w + i) for the passes cut in two.
 */
export interface CascadeKey {
  bits: Uint8Array;
  packed: Uint32Array;
}

/** Packs one-per-byte bits 32 to a word, position 32·w + i at bit i of word w. */
export function packWords(bits: Uint8Array): Uint32Array {
  const packed = new Uint32Array(Math.ceil(bits.length / 32));
  for (let i = 0; i < bits.length; i++) packed[i >>> 5]! |= bits[i]! << (i & 31);
  return packed;
}

/** One pass's partition of a key of n bits into blocks, and parities over it. */
export interface PassBlocks {
  /** Block b is [blockStarts[b], blockStarts[b + 1]) of the pass's order; the last entry is n. */
  readonly blockStarts: Uint32Array;
  /** The block of a position. */
  blockOf(position: number): number;
  /** The parity of the key in each block. */
  parities(key: CascadeKey): Uint8Array;
  /** The position at `index` of the pass's order (block by block, ascending within a block). */
  positionAt(index: number): number;
  /** The parity of the key at [start, end) of the pass's order, a range within one block. */
  rangeParity(key: CascadeKey, start: number, end: number): number;
}

/**
 * Pass `pass`'s blocks of a key of `n` bits, of about `blockSize` bits each, the same on both sides for the same
 * arguments.
 *
 * @example
 * ```ts
 * import { passBlocks } from "./cascade_layout.ts";
 * const seed = Uint8Array.of(1, 2, 3);
 * const [a, b] = [passBlocks(10, seed, 1, 5), passBlocks(10, seed, 1, 5)];
 * console.assert([0, 4, 9].every((i) => a.positionAt(i) === b.positionAt(i)));
 * console.assert(passBlocks(5, seed, 0, 2).blockStarts.join() === "0,2,4,5");
 * ```
 */
export function passBlocks(n: number, seed: Uint8Array, pass: number, blockSize: number): PassBlocks {
  if (pass === 0) return new ConsecutiveBlocks(n, blockSize);
  const blocks = Math.max(1, Math.round(n / blockSize));
  const keyed = Uint8Array.from([...seed, pass >>> 24, pass >>> 16 & 255, pass >>> 8 & 255, pass & 255]);
  return blocks === 2
    ? new HalvedBlocks(n, seededWords(keyed, Math.ceil(n / 32)))
    : new LabelledBlocks(blocks, seededWords(keyed, n));
}

/**
 * `count` words of the xoshiro128** stream seeded with `seed` (as {@linkcode SeededRandom}), in one buffer: the
 * generator runs inline on local state, without a call per word.
 */
function seededWords(seed: Uint8Array, count: number): Uint32Array {
  const init = new SeededRandom(seed);
  let s0 = init.next(), s1 = init.next(), s2 = init.next(), s3 = init.next();
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const r = Math.imul(s1, 5);
    words[i] = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
  }
  return words;
}

/** Pass 0: runs of `size` consecutive positions. */
class ConsecutiveBlocks implements PassBlocks {
  readonly blockStarts: Uint32Array;
  readonly #size: number;

  constructor(n: number, size: number) {
    this.#size = size;
    this.blockStarts = Uint32Array.from({ length: Math.ceil(n / size) + 1 }, (_, b) => Math.min(n, b * size));
  }

  blockOf(position: number): number {
    return Math.floor(position / this.#size);
  }

  parities({ bits }: CascadeKey): Uint8Array {
    const parities = new Uint8Array(this.blockStarts.length - 1);
    for (let i = 0; i < bits.length; i++) parities[Math.floor(i / this.#size)]! ^= bits[i]!;
    return parities;
  }

  positionAt(index: number): number {
    return index;
  }

  rangeParity({ packed }: CascadeKey, start: number, end: number): number {
    return wordParity(packed, undefined, false, start, end - 1);
  }
}

/** A uniformly random label in [0, blocks) per position, one 32-bit word each (⌊w·blocks/2³²⌋). */
class LabelledBlocks implements PassBlocks {
  readonly blockStarts: Uint32Array;
  readonly #labels: Uint32Array;
  #order: Uint32Array | undefined;

  /** @param words one random word per position, turned into the labels in place */
  constructor(blocks: number, words: Uint32Array) {
    this.#labels = words;
    this.blockStarts = new Uint32Array(blocks + 1);
    for (let i = 0; i < words.length; i++) {
      const label = Math.floor(words[i]! * blocks / 4294967296);
      words[i] = label;
      this.blockStarts[label + 1]!++;
    }
    for (let b = 0; b < blocks; b++) this.blockStarts[b + 1]! += this.blockStarts[b]!;
  }

  blockOf(position: number): number {
    return this.#labels[position]!;
  }

  parities({ bits }: CascadeKey): Uint8Array {
    const parities = new Uint8Array(this.blockStarts.length - 1);
    for (let i = 0; i < bits.length; i++) parities[this.#labels[i]!]! ^= bits[i]!;
    return parities;
  }

  positionAt(index: number): number {
    return this.#laidOut()[index]!;
  }

  rangeParity({ bits }: CascadeKey, start: number, end: number): number {
    const order = this.#laidOut();
    let parity = 0;
    for (let i = start; i < end; i++) parity ^= bits[order[i]!]!;
    return parity;
  }

  /** The order, by a counting sort of the labels, on first use. */
  #laidOut(): Uint32Array {
    if (this.#order === undefined) {
      const labels = this.#labels;
      const order = new Uint32Array(labels.length);
      const cursor = this.blockStarts.slice(0, -1);
      for (let position = 0; position < labels.length; position++) order[cursor[labels[position]!]!++] = position;
      this.#order = order;
    }
    return this.#order;
  }
}

/**
 * Two blocks, by one random bit per position: the random words are the membership mask of block 1, so a block's
 * parity is the parity of (key AND mask) over n/32 words, the order is never listed (the i-th position of a block is
 * found through per-word counts of the mask's ones) and a range's parity costs a word operation per 32 positions.
 */
class HalvedBlocks implements PassBlocks {
  readonly blockStarts: Uint32Array;
  readonly #mask: Uint32Array;
  /** Ones of the mask before each word, on first use. */
  #onesBefore: Uint32Array | undefined;

  /** @param words ⌈n/32⌉ random words, the mask (the bits past n are cleared) */
  constructor(n: number, words: Uint32Array) {
    this.#mask = words;
    const tail = n % 32;
    if (tail !== 0) words[words.length - 1]! &= 2 ** tail - 1;
    let ones = 0;
    for (let w = 0; w < words.length; w++) ones += popcount(words[w]!);
    this.blockStarts = Uint32Array.of(0, n - ones, n);
  }

  blockOf(position: number): number {
    return (this.#mask[position >>> 5]! >>> (position & 31)) & 1;
  }

  parities({ packed }: CascadeKey): Uint8Array {
    let total = 0, inMask = 0;
    for (let w = 0; w < packed.length; w++) {
      total ^= packed[w]!;
      inMask ^= packed[w]! & this.#mask[w]!;
    }
    const one = popcount(inMask) & 1;
    return Uint8Array.of((popcount(total) & 1) ^ one, one);
  }

  positionAt(index: number): number {
    const zeros = this.blockStarts[1]!;
    return index < zeros ? this.#select(index, false) : this.#select(index - zeros, true);
  }

  rangeParity({ packed }: CascadeKey, start: number, end: number): number {
    const ones = start >= this.blockStarts[1]!;
    return wordParity(packed, this.#mask, !ones, this.positionAt(start), this.positionAt(end - 1));
  }

  /** The position of the k-th (from 0) one, or zero, of the mask. */
  #select(k: number, ones: boolean): number {
    const before = this.#onesBefore ??= onesBeforeEachWord(this.#mask);
    const count = (w: number) => ones ? before[w]! : 32 * w - before[w]!;
    let low = 0, high = this.#mask.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (count(middle) <= k) low = middle;
      else high = middle - 1;
    }
    let word = ones ? this.#mask[low]! : ~this.#mask[low]!;
    for (let skip = k - count(low); skip > 0; skip--) word &= word - 1;
    return 32 * low + 31 - Math.clz32(word & -word);
  }
}

function onesBeforeEachWord(mask: Uint32Array): Uint32Array {
  const before = new Uint32Array(mask.length + 1);
  for (let w = 0; w < mask.length; w++) before[w + 1] = before[w]! + popcount(mask[w]!);
  return before;
}

/** Parity of the packed key at positions from..to (inclusive), restricted to the mask (or its complement). */
function wordParity(
  packed: Uint32Array,
  mask: Uint32Array | undefined,
  complement: boolean,
  from: number,
  to: number,
): number {
  const first = from >>> 5, last = to >>> 5;
  let folded = 0;
  for (let w = first; w <= last; w++) {
    let word = packed[w]!;
    if (mask !== undefined) word &= complement ? ~mask[w]! : mask[w]!;
    if (w === first) word &= -1 << (from & 31);
    if (w === last && (to & 31) !== 31) word &= (1 << ((to & 31) + 1)) - 1;
    folded ^= word;
  }
  return popcount(folded) & 1;
}

function popcount(word: number): number {
  let x = word - ((word >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
