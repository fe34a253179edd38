/** Byte helpers for the hot paths: hex keys, equality and numeric prefixes of ids. */

const HEX_DIGITS = "0123456789abcdef";

/**
 * Hex string of a byte array, lower case. Built from char codes in one go: appending two digits at a time left a
 * chain of string pieces in every interned NodeId's `hex`.
 */
export function toHex(bytes: Uint8Array): string {
  const codes = new Array<number>(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    codes[2 * i] = HEX_DIGITS.charCodeAt(bytes[i]! >> 4);
    codes[2 * i + 1] = HEX_DIGITS.charCodeAt(bytes[i]! & 15);
  }
  return String.fromCharCode.apply(null, codes);
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
