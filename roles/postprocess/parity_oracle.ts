/** The two-party seam of Cascade: Bob asks for the parities of blocks of Alice's key, Alice answers. */

/**
 * Answers parity queries on Alice's key. Locally it is a {@linkcode ParityResponder}; over the network, an RPC
 * to Alice's node that ends in one.
 */
export interface ParityOracle {
  /** The parity (0 or 1) of Alice's bits at each block's positions, one answer per block, in order. */
  parities(blocks: number[][]): Promise<number[]>;
}

/**
 * Alice's side of Cascade: answers parity queries on her key and counts the parity bits she disclosed, so that
 * she knows the leakage without trusting Bob's count.
 *
 * @example
 * ```ts
 * import { ParityResponder } from "./mod.ts";
 * const alice = new ParityResponder(Uint8Array.of(1, 0, 1, 1));
 * console.assert((await alice.parities([[0, 1], [0, 2, 3]])).join() === "1,1");
 * console.assert(alice.disclosed === 2);
 * ```
 */
export class ParityResponder implements ParityOracle {
  readonly #bits: Uint8Array;
  #disclosed = 0;

  constructor(bits: Uint8Array) {
    this.#bits = bits;
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
}
