/**
 * Cascade error correction (Brassard–Salvail), Bob's side: passes over shuffled blocks whose parities he compares
 * with Alice's, a binary search in each block that disagrees, and backtracking — a corrected bit flips the parity
 * of the blocks holding it in earlier passes, which are searched again. Queries are batched: the block parities of
 * every pass go in the first exchange (Alice's parities do not change as Bob corrects), and every block under search
 * advances one halving per exchange.
 *
 * The passes' layouts come from a public seed ({@linkcode passBlocks}), so that a {@linkcode RangeParityOracle}
 * names each block by (pass, start, end). Every parity Alice disclosed is remembered, and the parity of a range's
 * right half follows from the whole and its left half, so no parity is asked twice (sub-block reuse); the parity of
 * the whole key, known after the first pass, gives each later pass's last block for free (parity inference). A
 * pass's order is laid out only when one of its blocks is searched, and passes cut in two work on packed words
 * (see {@linkcode passBlocks}).
 */
import { cryptoRandom, type RandomSource } from "../quantum/mod.ts";
import {
  cascadeBlockSizes,
  type CascadeKey,
  type CascadePlanOptions,
  packWords,
  type PassBlocks,
  passBlocks,
} from "./cascade_layout.ts";
import type { ParityOracle, RangeParityOracle } from "./parity_oracle.ts";

/** Options of {@linkcode cascade}: the plan (QBER estimate, schedule, passes) and how to reach Alice. */
export interface CascadeOptions extends CascadePlanOptions {
  /**
   * The public seed of the passes' layouts. Required with an oracle that only answers range queries, and then the
   * seed (and plan) Alice's responder was made with; without it, one is drawn from `random` and blocks are sent as
   * positions.
   */
  seed?: Uint8Array;
  /** Source of the seed when none is given. @default {cryptoRandom} */
  random?: RandomSource;
  /** Aborts between exchanges. */
  signal?: AbortSignal;
}

/** The outcome of {@linkcode cascade}. */
export interface CascadeResult {
  /** Bob's key after correction (a new array). */
  bits: Uint8Array;
  /** Parity bits disclosed by Alice. */
  leakage: number;
  /** Bits Bob flipped. */
  corrected: number;
  /** Calls made to the oracle (network round trips). */
  exchanges: number;
}

/** The longest key (2²⁶ bits, 64 Mbit): each pass keeps Alice's parities in an array of 2n bytes. */
const MAX_BITS = 2 ** 26;

/**
 * Corrects Bob's `bits` towards Alice's key, which only `oracle` can see.
 *
 * @throws {RangeError} when `passes` is not a positive integer, `qber` is not within 0-0.5 or the key is over 2²⁶ bits
 * @throws {TypeError} when the oracle only answers range queries and no `seed` is given
 * @example
 * ```ts
 * import { cascade, ParityResponder } from "./mod.ts";
 * const alice = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) % 3 === 0 ? 1 : 0);
 * const bob = alice.slice();
 * bob[10]! ^= 1;
 * bob[500]! ^= 1;
 * const seed = crypto.getRandomValues(new Uint8Array(16));
 * const result = await cascade(bob, new ParityResponder(alice, { seed }), { qber: 0.002, seed });
 * console.assert(result.bits.join() === alice.join() && result.corrected === 2);
 * ```
 */
export async function cascade(
  bits: Uint8Array,
  oracle: ParityOracle | RangeParityOracle,
  options: CascadeOptions = {},
): Promise<CascadeResult> {
  const { random = cryptoRandom, signal } = options;
  if (bits.length > MAX_BITS) {
    throw new RangeError(`Cannot run Cascade on ${bits.length} bits: the most is ${MAX_BITS}`);
  }
  const sizes = cascadeBlockSizes(bits.length, options);
  const byRange = options.seed !== undefined && "rangeParities" in oracle;
  if (!byRange && !("parities" in oracle)) {
    throw new TypeError("Cannot run Cascade: a range parity oracle needs the layout seed agreed with Alice");
  }
  const seed = options.seed ?? drawSeed(random);
  const run = new CascadeRun(bits.slice(), oracle, byRange, signal);
  if (bits.length === 0) return run.result();
  // Alice's parities do not change as Bob corrects, so every pass's block parities go in the first exchange.
  const passes = await run.askBlockParities(sizes.map((size, pass) => passBlocks(bits.length, seed, pass, size)));
  for (const pass of passes) {
    run.open(pass);
    await run.correctOddBlocks();
  }
  return run.result();
}

function drawSeed(random: RandomSource): Uint8Array {
  const seed = new Uint8Array(16);
  random.fill(seed);
  return seed;
}

/** One pass: its blocks and Alice's parities known so far. */
interface Pass {
  index: number;
  blocks: PassBlocks;
  /** Blocks whose parity differs from Alice's. */
  odd: Set<number>;
  /**
   * Alice's parities known for ranges [start, end) of the order (asked or derived), by {@linkcode rangeSlot}: 0 when
   * unknown, else parity + 1.
   */
  known: Uint8Array;
}

/** A range [start, end) of one pass's order; Alice's parity of it, once known, is in the pass's `known`. */
interface Range {
  pass: Pass;
  start: number;
  end: number;
}

class CascadeRun {
  readonly #bits: Uint8Array;
  readonly #key: CascadeKey;
  readonly #oracle: ParityOracle | RangeParityOracle;
  readonly #byRange: boolean;
  readonly #signal: AbortSignal | undefined;
  readonly #passes: Pass[] = [];
  #leakage = 0;
  #corrected = 0;
  #exchanges = 0;

  constructor(
    bits: Uint8Array,
    oracle: ParityOracle | RangeParityOracle,
    byRange: boolean,
    signal: AbortSignal | undefined,
  ) {
    this.#bits = bits;
    this.#key = { bits, packed: packWords(bits) };
    this.#oracle = oracle;
    this.#byRange = byRange;
    this.#signal = signal;
  }

  result(): CascadeResult {
    return { bits: this.#bits, leakage: this.#leakage, corrected: this.#corrected, exchanges: this.#exchanges };
  }

  /**
   * Lays out the passes and asks Alice every block parity in one exchange; the last block of each pass after the first
   * is not asked: it follows from the key's parity, which the first pass gives.
   */
  async askBlockParities(layouts: readonly PassBlocks[]): Promise<Pass[]> {
    const n = this.#bits.length;
    const passes = layouts.map((blocks, index): Pass => ({
      index,
      blocks,
      odd: new Set(),
      known: new Uint8Array(2 * n),
    }));
    const rangesOf = passes.map(blockRanges);
    await this.#ask(rangesOf.flatMap((ranges, index) => index === 0 ? ranges : ranges.slice(0, -1)));
    const parityOf = (ranges: Range[]) => ranges.reduce((total, range) => total ^ this.#aliceParity(range)!, 0);
    const total = parityOf(rangesOf[0]!);
    for (const ranges of rangesOf.slice(1)) {
      if (ranges.length > 0) this.#remember(ranges.at(-1)!, total ^ parityOf(ranges.slice(0, -1)));
    }
    return passes;
  }

  /** Starts correcting against a pass: learns which of its blocks disagree now. */
  open(pass: Pass): void {
    const bob = pass.blocks.parities(this.#key);
    const { blockStarts } = pass.blocks;
    for (let b = 0; b + 1 < blockStarts.length; b++) {
      // An empty block (a random partition may leave one) has parity 0 on both sides.
      const alice = blockStarts[b + 1]! === blockStarts[b]! ? 0 : this.#aliceParity(blockRange(pass, b))!;
      if (alice !== bob[b]) pass.odd.add(b);
    }
    this.#passes.push(pass);
  }

  /** Searches every disagreeing block of every pass so far, until none is left. */
  async correctOddBlocks(): Promise<void> {
    for (;;) {
      const searches: Range[] = this.#passes.flatMap((pass) => [...pass.odd].map((b) => blockRange(pass, b)));
      if (searches.length === 0) return;
      // Searches run together on frozen bits; two of them may end on the same error, which is flipped once.
      const errors = new Set(await this.#binarySearch(searches));
      for (const position of errors) this.#flip(position);
    }
  }

  /** Halves every range (each holding an odd number of errors) down to one erroneous position. */
  async #binarySearch(searches: Range[]): Promise<number[]> {
    const open = (s: Range) => s.end - s.start > 1;
    for (let active = searches.filter(open); active.length > 0; active = active.filter(open)) {
      const unknownLefts: Range[] = [];
      for (const { pass, start, end } of active) {
        const middle = (start + end) >>> 1;
        if (this.#aliceParity({ pass, start, end: middle }) === undefined) {
          unknownLefts.push({ pass, start, end: middle });
        }
      }
      await this.#ask(unknownLefts);
      for (const search of active) {
        const { pass, start, end } = search;
        const middle = (start + end) >>> 1;
        const left = { pass, start, end: middle };
        const aliceLeft = this.#aliceParity(left)!;
        // Alice's parity of the right half follows from the whole and the left: known without asking.
        this.#remember({ pass, start: middle, end }, this.#aliceParity(search)! ^ aliceLeft);
        if (aliceLeft !== this.#bobParity(left)) search.end = middle;
        else search.start = middle;
      }
    }
    return searches.map((s) => s.pass.blocks.positionAt(s.start));
  }

  #flip(position: number): void {
    this.#bits[position]! ^= 1;
    this.#key.packed[position >>> 5]! ^= 1 << (position & 31);
    this.#corrected++;
    for (const pass of this.#passes) {
      const block = pass.blocks.blockOf(position);
      if (!pass.odd.delete(block)) pass.odd.add(block);
    }
  }

  /** Asks Alice the parities of `ranges` in one exchange. */
  async #ask(ranges: Range[]): Promise<void> {
    if (ranges.length === 0) return;
    this.#signal?.throwIfAborted();
    const answers = this.#byRange ? await this.#askRanges(ranges) : await this.#askPositions(ranges);
    this.#signal?.throwIfAborted();
    this.#exchanges++;
    this.#leakage += ranges.length;
    if (!(Array.isArray(answers) || answers instanceof Uint8Array) || answers.length !== ranges.length) {
      throw new TypeError(`Cannot run Cascade: asked ${ranges.length} parities, got ${describe(answers)}`);
    }
    ranges.forEach((range, i) => this.#remember(range, answers[i]! & 1));
  }

  #askRanges(ranges: Range[]): Promise<Uint8Array> {
    const triples = new Uint32Array(3 * ranges.length);
    ranges.forEach((range, i) => triples.set([range.pass.index, range.start, range.end], 3 * i));
    return (this.#oracle as RangeParityOracle).rangeParities(triples);
  }

  #askPositions(ranges: Range[]): Promise<number[]> {
    const blocks = ranges.map((r) =>
      Array.from({ length: r.end - r.start }, (_, i) => r.pass.blocks.positionAt(r.start + i))
    );
    return (this.#oracle as ParityOracle).parities(blocks);
  }

  #aliceParity(range: Range): number | undefined {
    const known = range.pass.known[rangeSlot(range, this.#bits.length)]!;
    return known === 0 ? undefined : known - 1;
  }

  #remember(range: Range, parity: number): void {
    range.pass.known[rangeSlot(range, this.#bits.length)] = parity + 1;
  }

  #bobParity(range: Range): number {
    return range.pass.blocks.rangeParity(this.#key, range.start, range.end);
  }
}

/** Block `b` of `pass` as a range of its order. */
function blockRange(pass: Pass, b: number): Range {
  return { pass, start: pass.blocks.blockStarts[b]!, end: pass.blocks.blockStarts[b + 1]! };
}

/** The non-empty blocks of a pass, in order. */
function blockRanges(pass: Pass): Range[] {
  const ranges: Range[] = [];
  for (let b = 0; b + 1 < pass.blocks.blockStarts.length; b++) {
    if (pass.blocks.blockStarts[b + 1]! > pass.blocks.blockStarts[b]!) ranges.push(blockRange(pass, b));
  }
  return ranges;
}

/**
 * Where a range's parity is kept among its pass's, in 0..2n: the ranges Cascade asks about within a block are the
 * nodes of one halving tree, so a range of two or more bits is told apart by its middle (each subtree's middles lie
 * within its own range), and a single bit by its position, after the n middles.
 */
function rangeSlot(range: Range, n: number): number {
  return range.end - range.start === 1 ? n + range.start : (range.start + range.end) >>> 1;
}

function describe(answers: unknown): string {
  return Array.isArray(answers) || answers instanceof Uint8Array ? `${answers.length} answers` : typeof answers;
}
