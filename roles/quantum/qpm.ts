/** QPM, the quantum photon meter: measures each photon in Bob's base. */
import { assertSameLength } from "./_length.ts";
import { ZERO_ANGLE_DEGREES } from "./qpp.ts";
import { cryptoRandom, type RandomSource, randomUnits } from "./random.ts";

/**
 * The probability that a photon of this polarization reads as bit 0 in `base`: cos²(θ − θ₀), with θ₀ the base's
 * bit-0 angle and the difference folded into 0–90°. Aligned and orthogonal photons give exactly 1 and 0 (so the
 * same base measures deterministically); a photon at 45° to the base gives ½ (a fair coin).
 */
export function zeroProbability(polarizationDegrees: number, base: number): number {
  const difference = (((polarizationDegrees - ZERO_ANGLE_DEGREES[base]!) % 180) + 180) % 180;
  const folded = difference > 90 ? 180 - difference : difference;
  if (folded === 0) return 1;
  if (folded === 90) return 0;
  return Math.cos((folded * Math.PI) / 180) ** 2;
}

/**
 * Measures a batch: the bit read at each position.
 *
 * @param polarizations the arriving photons' polarizations in degrees
 * @param bases the meter's base code per position
 * @param random the source of the quantum coin
 * @throws {RangeError} when the arrays differ in length
 */
export function measure(polarizations: Uint8Array, bases: Uint8Array, random: RandomSource = cryptoRandom): Uint8Array {
  assertSameLength("measure", polarizations, bases);
  const draws = randomUnits(polarizations.length, random);
  return polarizations.map((angle, i) => draws[i]! < zeroProbability(angle, bases[i]!) ? 0 : 1);
}
