/** Conversions between bit arrays (one bit per byte, as the quantum roles produce them) and packed bytes. */

/** Packs bits into bytes, first bit in the most significant place; the last byte is padded with zeros. */
export function packBits(bits: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) bytes[i >>> 3]! |= (bits[i]! & 1) << (7 - (i & 7));
  return bytes;
}

/** The first `count` bits of `bytes`, most significant first, one per byte. @throws {RangeError} when too short */
export function unpackBits(bytes: Uint8Array, count: number = bytes.length * 8): Uint8Array {
  if (count > bytes.length * 8) {
    throw new RangeError(`Cannot unpack ${count} bits: the input holds ${bytes.length * 8}`);
  }
  const bits = new Uint8Array(count);
  for (let i = 0; i < count; i++) bits[i] = (bytes[i >>> 3]! >>> (7 - (i & 7))) & 1;
  return bits;
}

/** The bit arrays one after the other. */
export function concatBits(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
