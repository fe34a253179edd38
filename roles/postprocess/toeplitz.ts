/**
 * Privacy amplification by Toeplitz hashing: y = T·x over GF(2), with T an m×n Toeplitz matrix
 * (T[i][j] = d[i − j + n − 1]) fixed by its n + m − 1 diagonal bits d. Random Toeplitz matrices form a
 * 2-universal family, which the leftover hash lemma needs; both sides expand the diagonals from one public seed.
 */
import { expandSeed } from "../../core/crypto/mod.ts";
import { unpackBits } from "./bits.ts";

/**
 * Multiplies `input` (n bits) by the Toeplitz matrix with diagonal bits `diagonals` (n + m − 1 of them).
 *
 * @returns `outputBits` (m) bits, one per byte
 * @throws {RangeError} when m exceeds n or `diagonals` is not n + m − 1 bits long
 */
export function toeplitzHash(input: Uint8Array, diagonals: Uint8Array, outputBits: number): Uint8Array {
  const n = input.length;
  if (!Number.isInteger(outputBits) || outputBits < 0 || outputBits > n) {
    throw new RangeError(`Cannot hash ${n} bits to ${outputBits}: the output must be 0-${n} bits`);
  }
  if (outputBits > 0 && diagonals.length !== n + outputBits - 1) {
    throw new RangeError(
      `Cannot hash ${n} bits to ${outputBits}: expected ${n + outputBits - 1} diagonal bits, got ${diagonals.length}`,
    );
  }
  // y_i = XOR_k d[i + k]·r_k with r the input reversed: each output bit is a parity of a window of d against r,
  // computed 32 bits at a time.
  const words = Math.ceil(n / 32);
  const reversed = new Int32Array(words);
  for (let k = 0; k < n; k++) reversed[k >>> 5]! |= (input[n - 1 - k]! & 1) << (k & 31);
  const packed = new Int32Array(Math.ceil((n + outputBits) / 32) + 1);
  for (let j = 0; j < diagonals.length; j++) packed[j >>> 5]! |= (diagonals[j]! & 1) << (j & 31);
  const output = new Uint8Array(outputBits);
  for (let i = 0; i < outputBits; i++) {
    const first = i >>> 5;
    const shift = i & 31;
    let acc = 0;
    for (let t = 0; t < words; t++) {
      const window = shift === 0
        ? packed[first + t]!
        : (packed[first + t]! >>> shift) | (packed[first + t + 1]! << (32 - shift));
      acc ^= window & reversed[t]!;
    }
    acc ^= acc >>> 16;
    acc ^= acc >>> 8;
    acc ^= acc >>> 4;
    acc ^= acc >>> 2;
    acc ^= acc >>> 1;
    output[i] = acc & 1;
  }
  return output;
}

/**
 * Shortens a reconciled key to `outputBits` bits with the Toeplitz matrix expanded from `seed` (32 bytes, drawn
 * by one side and sent in clear).
 *
 * @throws {RangeError} when `outputBits` exceeds the key length
 * @throws {TypeError} when the seed is not 32 bytes
 */
export async function privacyAmplify(key: Uint8Array, outputBits: number, seed: Uint8Array): Promise<Uint8Array> {
  const diagonalBits = Math.max(0, key.length + outputBits - 1);
  const diagonals = unpackBits(await expandSeed(seed, Math.ceil(diagonalBits / 8)), diagonalBits);
  return toeplitzHash(key, diagonals, outputBits);
}
