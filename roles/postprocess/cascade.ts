/**
 * Cascade error correction (Brassard–Salvail), Bob's side: passes over shuffled blocks whose parities he compares
 * with Alice's, a binary search in each block that disagrees, and backtracking — a corrected bit flips the parity
 * of the blocks holding it in earlier passes, which are searched again. Queries are batched: each pass's block
 * parities go in one exchange, and every block under search advances one halving per exchange.
 */
import { cryptoRandom, identityPermutation, randomPermutation, type RandomSource } from "../quantum/mod.ts";
import type { ParityOracle } from "./parity_oracle.ts";

/** Options of {@linkcode cascade}. */
export interface CascadeOptions {
  /**
   * Estimated QBER; the first pass uses blocks of ⌈0.73 / qber⌉ bits, doubling each pass up to a quarter of the
   * key. Estimates below 1 % are taken as 1 %: a sample without errors still leaves room for a few in the key.
   * @default {0.01}
   */
  qber?: number;
  /**
   * Number of passes. Two more than the classic four, with blocks capped at a quarter of the key: with blocks
   * growing to the whole key, keys of a few hundred bits kept a pair of errors in one block in every pass in up
   * to 30 % of runs; a pass of quarter blocks costs 4 parities and splits such a pair with probability ¾.
   * @default {6}
   */
  passes?: number;
  /** Source of the shuffles of the passes after the first. @default {cryptoRandom} */
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

const MIN_QBER = 0.01;

/**
 * Corrects Bob's `bits` towards Alice's key, which only `oracle` can see.
 *
 * @throws {RangeError} when `passes` is not a positive integer or `qber` is not within 0-0.5
 * @example
 * ```ts
 * import { cascade, ParityResponder } from "./mod.ts";
 * const alice = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) % 3 === 0 ? 1 : 0);
 * const bob = alice.slice();
 * bob[10]! ^= 1;
 * bob[500]! ^= 1;
 * const result = await cascade(bob, new ParityResponder(alice), { qber: 0.002 });
 * console.assert(result.bits.join() === alice.join() && result.corrected === 2);
 * ```
 */
export async function cascade(
  bits: Uint8Array,
  oracle: ParityOracle,
  options: CascadeOptions = {},
): Promise<CascadeResult> {
  const { qber = MIN_QBER, passes = 6, random = cryptoRandom, signal } = options;
  if (!Number.isInteger(passes) || passes < 1) {
    throw new RangeError(`Cannot run Cascade: passes must be a positive integer, got ${passes}`);
  }
  if (!(qber >= 0 && qber <= 0.5)) throw new RangeError(`Cannot run Cascade: qber must be within 0-0.5, got ${qber}`);
  const run = new CascadeRun(bits.slice(), oracle, signal);
  const n = bits.length;
  const largest = Math.ceil(n / 4);
  let blockSize = Math.min(largest, Math.ceil(0.73 / Math.max(qber, MIN_QBER)));
  for (let pass = 0; pass < passes && n > 0; pass++) {
    const order = pass === 0 ? identityPermutation(n) : randomPermutation(n, random);
    await run.addPass(order, blockSize);
    await run.correctOddBlocks();
    blockSize = Math.min(largest, 2 * blockSize);
  }
  return run.result();
}

/** One pass's layout: its order of the positions, cut into consecutive blocks. */
interface Pass {
  order: Uint32Array;
  blockSize: number;
  /** Block of each position. */
  blockOf: Uint32Array;
  /** Blocks whose parity differs from Alice's. */
  odd: Set<number>;
  /** Alice's parities known for ranges [start, end) of `order` (asked or derived), by start·(n+1)+end. */
  known: Map<number, number>;
}

/** A range [start, end) of one pass's order; Alice's parity of it, once known, is in the pass's `known`. */
interface Range {
  pass: Pass;
  start: number;
  end: number;
}

class CascadeRun {
  readonly #bits: Uint8Array;
  readonly #oracle: ParityOracle;
  readonly #signal: AbortSignal | undefined;
  readonly #passes: Pass[] = [];
  #leakage = 0;
  #corrected = 0;
  #exchanges = 0;

  constructor(bits: Uint8Array, oracle: ParityOracle, signal: AbortSignal | undefined) {
    this.#bits = bits;
    this.#oracle = oracle;
    this.#signal = signal;
  }

  result(): CascadeResult {
    return { bits: this.#bits, leakage: this.#leakage, corrected: this.#corrected, exchanges: this.#exchanges };
  }

  /** Lays out a pass and learns which of its blocks disagree. */
  async addPass(order: Uint32Array, blockSize: number): Promise<void> {
    const n = order.length;
    const pass: Pass = { order, blockSize, blockOf: new Uint32Array(n), odd: new Set(), known: new Map() };
    const blocks: Range[] = [];
    for (let start = 0; start < n; start += blockSize) {
      blocks.push({ pass, start, end: Math.min(n, start + blockSize) });
    }
    for (let i = 0; i < n; i++) pass.blockOf[order[i]!] = Math.floor(i / blockSize);
    await this.#ask(blocks);
    blocks.forEach((block, b) => {
      if (this.#aliceParity(block) !== this.#bobParity(block)) pass.odd.add(b);
    });
    this.#passes.push(pass);
  }

  /** Searches every disagreeing block of every pass so far, until none is left. */
  async correctOddBlocks(): Promise<void> {
    for (;;) {
      const searches: Range[] = this.#passes.flatMap((pass) =>
        [...pass.odd].map((b) => ({
          pass,
          start: b * pass.blockSize,
          end: Math.min(pass.order.length, (b + 1) * pass.blockSize),
        }))
      );
      if (searches.length === 0) return;
      // Searches run together on frozen bits; two of them may end on the same error, which is flipped once.
      const errors = new Set(await this.#binarySearch(searches));
      for (const position of errors) this.#flip(position);
    }
  }

  /** Halves every range (each holding an odd number of errors) down to one erroneous position. */
  async #binarySearch(searches: Range[]): Promise<number[]> {
    for (let active = searches; active.length > 0; active = active.filter((s) => s.end - s.start > 1)) {
      const lefts = active.map((s) => ({ pass: s.pass, start: s.start, end: (s.start + s.end) >>> 1 }));
      await this.#ask(lefts.filter((left) => this.#aliceParity(left) === undefined));
      active.forEach((search, i) => {
        const left = lefts[i]!;
        const aliceLeft = this.#aliceParity(left)!;
        const right = { pass: search.pass, start: left.end, end: search.end };
        // Alice's parity of the right half follows from the whole and the left: known without asking.
        this.#remember(right, this.#aliceParity(search)! ^ aliceLeft);
        const next = aliceLeft !== this.#bobParity(left) ? left : right;
        search.start = next.start;
        search.end = next.end;
      });
    }
    return searches.map((s) => s.pass.order[s.start]!);
  }

  #flip(position: number): void {
    this.#bits[position]! ^= 1;
    this.#corrected++;
    for (const pass of this.#passes) {
      const block = pass.blockOf[position]!;
      if (!pass.odd.delete(block)) pass.odd.add(block);
    }
  }

  /** Asks Alice the parities of `ranges` in one exchange. */
  async #ask(ranges: Range[]): Promise<void> {
    if (ranges.length === 0) return;
    this.#signal?.throwIfAborted();
    const blocks = ranges.map((r) => Array.from(r.pass.order.subarray(r.start, r.end)));
    const answers = await this.#oracle.parities(blocks);
    this.#exchanges++;
    this.#leakage += ranges.length;
    if (!Array.isArray(answers) || answers.length !== ranges.length) {
      throw new TypeError(`Cannot run Cascade: asked ${ranges.length} parities, got ${describe(answers)}`);
    }
    ranges.forEach((range, i) => this.#remember(range, answers[i]! & 1));
  }

  #aliceParity(range: Range): number | undefined {
    return range.pass.known.get(range.start * (range.pass.order.length + 1) + range.end);
  }

  #remember(range: Range, parity: number): void {
    range.pass.known.set(range.start * (range.pass.order.length + 1) + range.end, parity);
  }

  #bobParity(range: Range): number {
    let parity = 0;
    for (let i = range.start; i < range.end; i++) parity ^= this.#bits[range.pass.order[i]!]!;
    return parity;
  }
}

function describe(answers: unknown): string {
  return Array.isArray(answers) ? `${answers.length} answers` : typeof answers;
}
