/**
 * Privacy amplification by Toeplitz hashing: y = T·x over GF(2), with T an m×n Toeplitz matrix
 * (T[i][j] = d[i − j + n − 1]) fixed by its n + m − 1 diagonal bits d. Random Toeplitz matrices form a
 * 2-universal family, which the leftover hash lemma needs; both sides expand the diagonals from one public seed.
 */
import FFT from "fft.js";
import { expandSeed } from "../../core/crypto/mod.ts";
import { unpackBits } from "./bits.ts";

/** Above this many (output bit, input word) pairs, the product goes through an FFT instead of word by word. */
const FFT_ABOVE = 1 << 22;

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
  if (outputBits === 0) return new Uint8Array(0);
  if (outputBits * Math.ceil(n / 32) > FFT_ABOVE) return toeplitzByConvolution(input, diagonals, outputBits);
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
 * The same product as a convolution: y_i = Σ_j d[i − j + n − 1]·x_j is term i + n − 1 of the integer convolution of d
 * and x, taken mod 2. A floating-point FFT computes it in O(N log N) instead of O(n·m/32): the terms are counts of at
 * most n, exact once rounded as long as the transform's error stays far below ½, which is checked. A circular
 * convolution of length L ≥ n + m − 1 is enough: the terms wrapped onto the ones read (n − 1 … n + m − 2) come from
 * index L and beyond, past the linear convolution's last term (2n + m − 3). Spectra live in typed arrays: fft.js's own
 * complex arrays are plain arrays of boxed numbers, most of a pool's garbage.
 */
function toeplitzByConvolution(input: Uint8Array, diagonals: Uint8Array, outputBits: number): Uint8Array {
  const n = input.length;
  let size = 2;
  while (size < diagonals.length) size *= 2;
  const fft = transformOfSize(size);
  const spectrum = (bits: Uint8Array) => {
    const real = new Float64Array(size);
    for (let i = 0; i < bits.length; i++) real[i] = bits[i]! & 1;
    const out = new Float64Array(2 * size) as unknown as number[];
    fft.realTransform(out, real);
    fft.completeSpectrum(out);
    return out;
  };
  const product = spectrum(diagonals);
  const x = spectrum(input);
  for (let k = 0; k < 2 * size; k += 2) {
    const re = product[k]! * x[k]! - product[k + 1]! * x[k + 1]!;
    product[k + 1] = product[k]! * x[k + 1]! + product[k + 1]! * x[k]!;
    product[k] = re;
  }
  const terms = new Float64Array(2 * size) as unknown as number[];
  fft.inverseTransform(terms, product);
  const output = new Uint8Array(outputBits);
  for (let i = 0; i < outputBits; i++) {
    const term = terms[2 * (i + n - 1)]!;
    const count = Math.round(term);
    if (Math.abs(term - count) > 0.25) {
      throw new RangeError(`Cannot hash ${n} bits to ${outputBits}: the FFT lost the precision an exact count needs`);
    }
    output[i] = count & 1;
  }
  return output;
}

/** The last transform made: its twiddle tables take as long to build as a transform, and a pool's keys share a size. */
let lastTransform: FFT | undefined;

function transformOfSize(size: number): FFT {
  if (lastTransform?.size !== size) lastTransform = new FFT(size);
  return lastTransform;
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
