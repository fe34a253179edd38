/** The quantum phase of one batch of positions, run in-process: what the workers do between them. */
import { generateBases } from "./bg.ts";
import { type ChannelOptions, transmit } from "./channel.ts";
import { pickBits, sift } from "./qpc.ts";
import { polarize } from "./qpp.ts";
import { measure } from "./qpm.ts";
import { generateSpins } from "./qsg.ts";
import { cryptoRandom } from "./random.ts";

/** The sifted outcome of one batch, as each side holds it. */
export interface SiftedBatch {
  /** Positions of the batch whose bases matched, ascending. */
  positions: Uint32Array;
  /** Alice's spins at those positions. */
  aliceBits: Uint8Array;
  /** Bob's measurements at those positions. */
  bobBits: Uint8Array;
}

/**
 * Runs QSG and BG for Alice, QPP, the channel, BG for Bob, QPM and QPC over `count` positions, drawing every
 * random choice from `options.random` in that order (so a seeded source replays the batch).
 *
 * @example Without noise or Eve both sides hold the same sifted bits
 * ```ts
 * import { runQuantumBatch, SeededRandom } from "./mod.ts";
 * const batch = runQuantumBatch(1000, { random: new SeededRandom(1) });
 * console.assert(batch.aliceBits.join() === batch.bobBits.join());
 * ```
 */
export function runQuantumBatch(count: number, options: ChannelOptions = {}): SiftedBatch {
  const random = options.random ?? cryptoRandom;
  const spins = generateSpins(count, random);
  const aliceBases = generateBases(count, random);
  const arriving = transmit(polarize(spins, aliceBases), { ...options, random });
  const bobBases = generateBases(count, random);
  const readings = measure(arriving, bobBases, random);
  const positions = sift(aliceBases, bobBases);
  return { positions, aliceBits: pickBits(spins, positions), bobBits: pickBits(readings, positions) };
}
