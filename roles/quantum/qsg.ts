/** QSG, the quantum spin generator: Alice's random spin (key bit) per position. */
import { cryptoRandom, randomBits, type RandomSource } from "./random.ts";

/** `count` random spins, one per position (0 or 1). */
export function generateSpins(count: number, random: RandomSource = cryptoRandom): Uint8Array {
  return randomBits(count, random);
}
