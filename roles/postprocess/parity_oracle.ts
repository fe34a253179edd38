/**
 * The two-party seam of Cascade: Bob asks for the parities of blocks of Alice's key, Alice answers. Blocks are named
 * either by their positions (the original wire form) or, when both sides derive the passes' shuffles from one public
 * seed, by (pass, start, end) ranges of a pass's order: three numbers a block instead of its positions.
 */
import {
  cascadeBlockSizes,
  type CascadeKey,
  type CascadePlanOptions,
  packWords,
  type PassBlocks,
  passBlocks,
} from "./cascade_layout.ts";

/**
 * Answers parity queries on Alice's key. Locally it is a {@linkcode ParityResponder}; over the network, an RPC
 * to Alice's node that ends in one.
 */
export interface ParityOracle {
  /** The parity (0 or 1) of Alice's bits at each block's positions, one answer per block, in order. */
  parities(blocks: number[][]): Promise<number[]>;
}

/** Answers parity queries by ranges of the passes' orders (see {@linkcode passBlocks}). */
export interface RangeParityOracle {
  /**
   * The parity of Alice's bits at `order[start..end)` of pass `pass`, for each (pass, start, end) triple of `ranges`,
   * one byte (0 or 1) per triple, in order.
   */
  rangeParities(ranges: Uint32Array): Promise<Uint8Array>;
}

/**
 * Range queries as bytes for the wire: each (pass, start, end) as three little-endian 32-bit words.
 *
 * @example
 * ```ts
 * import { decodeRanges, encodeRanges } from "./parity_oracle.ts";
 * const bytes = encodeRanges(Uint32Array.of(1, 0, 40));
 * console.assert(bytes.length === 12 && decodeRanges(bytes).join() === "1,0,40");
 * ```
 */
export function encodeRanges(ranges: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(4 * ranges.length);
  const view = new DataView(bytes.buffer);
  ranges.forEach((word, i) => view.setUint32(4 * i, word, true));
  return bytes;
}

/** The ranges of {@linkcode encodeRanges}. @throws {TypeError} unless bytes of whole (pass, start, end) triples */
export function decodeRanges(bytes: unknown): Uint32Array {
  if (!(bytes instanceof Uint8Array) || bytes.length % 12 !== 0) {
    throw new TypeError("Cannot read range parity queries: expected bytes of (pass, start, end) triples");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(4 * i, true));
}

/**
 * Options of {@linkcode ParityResponder}: for range queries, the seed and plan (QBER estimate, schedule, passes)
 * agreed with Bob, from which Alice lays out the same passes.
 */
export interface ParityResponderOptions extends CascadePlanOptions {
  /** The public seed of the passes' layouts; needed for range queries. */
  seed?: Uint8Array;
}

/**
 * Alice's side of Cascade: answers parity queries on her key and counts the parity bits she disclosed, so that
 * she knows the leakage without trusting Bob's count.
 *
 * @example
 * ```ts
 * import { ParityResponder } from "./mod.ts";
 * const alice = new ParityResponder(Uint8Array.of(1, 0, 1, 1), { seed: new Uint8Array(16) });
 * console.assert((await alice.parities([[0, 1], [0, 2, 3]])).join() === "1,1");
 * console.assert((await alice.rangeParities(Uint32Array.of(0, 0, 3))).join() === "0");
 * console.assert(alice.disclosed === 3);
 * ```
 */
export class ParityResponder implements ParityOracle, RangeParityOracle {
  readonly #bits: Uint8Array;
  #key: CascadeKey | undefined;
  readonly #seed: Uint8Array | undefined;
  readonly #blockSizes: number[];
  /** The blocks of each pass asked about. */
  readonly #passes = new Map<number, PassBlocks>();
  #disclosed = 0;

  /** @throws {RangeError} when the plan is invalid (see {@linkcode cascadeBlockSizes}) */
  constructor(bits: Uint8Array, options: ParityResponderOptions = {}) {
    this.#bits = bits;
    this.#seed = options.seed?.slice();
    this.#blockSizes = options.seed === undefined ? [] : cascadeBlockSizes(bits.length, options);
  }

  /** Parity bits answered so far. */
  get disclosed(): number {
    return this.#disclosed;
  }

  /**
   * @throws {TypeError} when a query is not an array of arrays of integers
   * @throws {RangeError} when a position is outside the key
   */
  parities(blocks: number[][]): Promise<number[]> {
    if (!Array.isArray(blocks) || !blocks.every(Array.isArray)) {
      return Promise.reject(new TypeError("Cannot answer a parity query: expected an array of position arrays"));
    }
    const answers: number[] = [];
    for (const block of blocks) {
      let parity = 0;
      for (const position of block) {
        const bit = Number.isInteger(position) ? this.#bits[position] : undefined;
        if (bit === undefined) {
          return Promise.reject(
            new RangeError(
              `Cannot answer a parity query: position ${position} is outside 0-${this.#bits.length - 1}`,
            ),
          );
        }
        parity ^= bit;
      }
      answers.push(parity);
    }
    this.#disclosed += answers.length;
    return Promise.resolve(answers);
  }

  /**
   * @throws {TypeError} when the responder has no seed or `ranges` is not a Uint32Array of triples
   * @throws {RangeError} when a pass or range is out of bounds
   */
  rangeParities(ranges: Uint32Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.#answerRanges(ranges));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #answerRanges(ranges: Uint32Array): Uint8Array {
    if (this.#seed === undefined) {
      throw new TypeError("Cannot answer a range parity query: no layout seed was agreed");
    }
    if (!(ranges instanceof Uint32Array) || ranges.length % 3 !== 0) {
      throw new TypeError("Cannot answer a range parity query: expected (pass, start, end) triples");
    }
    const n = this.#bits.length;
    const answers = new Uint8Array(ranges.length / 3);
    for (let q = 0; q < answers.length; q++) {
      const pass = ranges[3 * q]!, start = ranges[3 * q + 1]!, end = ranges[3 * q + 2]!;
      if (pass >= this.#blockSizes.length || start >= end || end > n) {
        throw new RangeError(
          `Cannot answer a range parity query: (${pass}, ${start}, ${end}) is outside ${this.#blockSizes.length} ` +
            `passes of ${n} bits`,
        );
      }
      answers[q] = this.#rangeParity(pass, start, end);
    }
    this.#disclosed += answers.length;
    return answers;
  }

  #rangeParity(pass: number, start: number, end: number): number {
    let blocks = this.#passes.get(pass);
    if (blocks === undefined) {
      blocks = passBlocks(this.#bits.length, this.#seed!, pass, this.#blockSizes[pass]!);
      this.#passes.set(pass, blocks);
    }
    this.#key ??= { bits: this.#bits, packed: packWords(this.#bits) };
    return blocks.rangeParity(this.#key, start, end);
  }
}
