/** BG, the base generator: a random measurement base per position, drawn once for Alice and once for Bob. */
import { cryptoRandom, randomBits, type RandomSource } from "./random.ts";

/** Code of the rectilinear base `+` (polarizations 0° and 90°). */
export const RECTILINEAR = 0;
/** Code of the diagonal base `x` (polarizations 45° and 135°). */
export const DIAGONAL = 1;
/** The symbol of each base code, as the protocol names them. */
export const BASE_SYMBOLS: readonly ["+", "x"] = ["+", "x"];

/** `count` random bases, one code per position ({@linkcode RECTILINEAR} or {@linkcode DIAGONAL}). */
export function generateBases(count: number, random: RandomSource = cryptoRandom): Uint8Array {
  return randomBits(count, random);
}
