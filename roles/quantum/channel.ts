/** The link between polarizer and meter: channel noise and an intercept–resend eavesdropper. */
import { generateBases } from "./bg.ts";
import { polarize } from "./qpp.ts";
import { measure } from "./qpm.ts";
import { cryptoRandom, type RandomSource, randomUnits } from "./random.ts";

/** Options of {@linkcode transmit}. */
export interface ChannelOptions {
  /** Probability that the link flips a photon to the orthogonal polarization (a bit flip in its base). @default {0} */
  noise?: number;
  /**
   * Share of the photons Eve intercepts: she measures each in a random base and resends what she read, which gives
   * a 25 % error rate on the sifted positions she touched. @default {0}
   */
  eve?: number;
  /** Source of Eve's bases and coins and of the noise. @default {cryptoRandom} */
  random?: RandomSource;
}

/**
 * Carries a batch of photons over the link: Eve acts first (at the polarizer's end), then the noise of the
 * rest of the link.
 *
 * @param polarizations the polarizer's output in degrees
 * @returns the polarizations that reach the meter (a new array)
 * @throws {RangeError} when a rate is not within 0–1
 */
export function transmit(polarizations: Uint8Array, options: ChannelOptions = {}): Uint8Array {
  const { noise = 0, eve = 0, random = cryptoRandom } = options;
  for (const [name, rate] of [["noise", noise], ["eve", eve]] as const) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`Cannot transmit: ${name} must be within 0-1, got ${rate}`);
  }
  const out = polarizations.slice();
  if (eve > 0) {
    const intercepted = randomUnits(out.length, random);
    const eveBases = generateBases(out.length, random);
    const resent = polarize(measure(out, eveBases, random), eveBases);
    for (let i = 0; i < out.length; i++) if (intercepted[i]! < eve) out[i] = resent[i]!;
  }
  if (noise > 0) {
    const flips = randomUnits(out.length, random);
    for (let i = 0; i < out.length; i++) if (flips[i]! < noise) out[i] = (out[i]! + 90) % 180;
  }
  return out;
}
