/** Byte helpers for the hot paths: hex keys, equality and numeric prefixes of ids. */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Hex string of a byte array, lower case. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

/** Whether two byte arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/** The first 6 bytes as a number (exact: 48 bits fit a float); `bytes` must hold at least 6. */
export function prefix48(bytes: Uint8Array): number {
  const high = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return high * 65536 + ((bytes[4]! << 8) | bytes[5]!);
}
