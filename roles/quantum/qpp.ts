/** QPP, the quantum photon polarizer: turns Alice's spin and base into the photon's polarization. */
import { assertSameLength } from "./_length.ts";

/** The polarization (degrees) that encodes bit 0 in each base: 0° in `+`, 45° in `x`; bit 1 is 90° more. */
export const ZERO_ANGLE_DEGREES: readonly [number, number] = [0, 45];

/**
 * The polarization in degrees of each position: (0,+)→0, (1,+)→90, (0,x)→45, (1,x)→135.
 *
 * @param spins a bit per position
 * @param bases a base code per position (see `bg.ts`)
 * @throws {RangeError} when the arrays differ in length
 */
export function polarize(spins: Uint8Array, bases: Uint8Array): Uint8Array {
  assertSameLength("polarize", spins, bases);
  return spins.map((spin, i) => ZERO_ANGLE_DEGREES[bases[i]!]! + 90 * spin);
}
