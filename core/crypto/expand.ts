/** Stretching a short shared seed into a long public random string, the same on both sides. */

/** Length of a seed accepted by {@linkcode expandSeed}. */
export const SEED_BYTES = 32;

/**
 * `byteLength` pseudo-random bytes determined by `seed`: the AES-256-CTR keystream under the seed as key. Both
 * parties of a session expand the same public seed (a Toeplitz matrix, for one) instead of sending the long string.
 *
 * @throws {TypeError} when the seed is not 32 bytes
 */
export async function expandSeed(seed: Uint8Array, byteLength: number): Promise<Uint8Array> {
  if (seed.length !== SEED_BYTES) {
    throw new TypeError(`Cannot expand a seed: expected ${SEED_BYTES} bytes, got ${seed.length}`);
  }
  const key = await crypto.subtle.importKey("raw", seed as Uint8Array<ArrayBuffer>, "AES-CTR", false, ["encrypt"]);
  const zeros = new Uint8Array(byteLength);
  const stream = await crypto.subtle.encrypt({ name: "AES-CTR", counter: new Uint8Array(16), length: 64 }, key, zeros);
  return new Uint8Array(stream);
}
