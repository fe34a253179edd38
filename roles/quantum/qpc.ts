/** QPC, the quantum photon collider: sifting, the positions where Alice's and Bob's bases agree. */
import { assertSameLength } from "./_length.ts";

/**
 * The positions (ascending: the sorting rule both sides apply) where the two bases match.
 *
 * @throws {RangeError} when the arrays differ in length
 */
export function sift(aliceBases: Uint8Array, bobBases: Uint8Array): Uint32Array {
  assertSameLength("sift", aliceBases, bobBases);
  const kept = new Uint32Array(aliceBases.length);
  let count = 0;
  for (let i = 0; i < aliceBases.length; i++) if (aliceBases[i] === bobBases[i]) kept[count++] = i;
  return kept.slice(0, count);
}

/** The bits at `positions`, in that order: how each side extracts its sifted key. */
export function pickBits(bits: Uint8Array, positions: Uint32Array): Uint8Array {
  const picked = new Uint8Array(positions.length);
  for (let i = 0; i < positions.length; i++) {
    const bit = bits[positions[i]!];
    if (bit === undefined) throw new RangeError(`Cannot pick bit ${positions[i]}: the batch holds ${bits.length} bits`);
    picked[i] = bit;
  }
  return picked;
}
