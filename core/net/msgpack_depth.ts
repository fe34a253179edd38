/**
 * How deeply a msgpack payload nests, read from its bytes without decoding it: a hostile datagram of thousands of
 * nested arrays must be refused before a decoder (or anything walking the decoded value) recurses through it.
 * One pass, no allocation but a stack of at most `limit` counters: bounded by the datagram's length.
 */

/** Deepest nesting of arrays and maps a datagram may carry; the deepest legacy message is 3 levels. */
export const MAX_MSGPACK_DEPTH = 32;

/**
 * Whether the msgpack value(s) in `bytes` nest arrays and maps more than `limit` levels deep. Truncated or
 * invalid input is not judged here (the decoder rejects it): only depth is.
 */
export function nestsDeeperThan(bytes: Uint8Array, limit: number = MAX_MSGPACK_DEPTH): boolean {
  /** Elements still to read in each open container, innermost last. */
  const open: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    const type = bytes[at]!;
    const skip = scalarLength(bytes, at, type);
    let children = 0;
    if (skip === undefined) {
      children = containerSize(bytes, at, type);
      at += containerHeader(type);
    } else {
      at += skip;
    }
    // The element just read fills one slot of the container around it; a container stays open (at 0) while its
    // last element is itself a container being read.
    if (open.length > 0) open[open.length - 1]! -= 1;
    if (children > 0) {
      if (open.length >= limit) return true;
      open.push(children);
      continue;
    }
    if (skip === undefined && open.length >= limit) return true;
    while (open.length > 0 && open[open.length - 1] === 0) open.pop();
  }
  return false;
}

/** Length in bytes of the scalar at `at` (header included), or undefined for an array or map. */
function scalarLength(bytes: Uint8Array, at: number, type: number): number | undefined {
  if (type <= 0x7f || type >= 0xe0) return 1; // fixints
  if (type >= 0xa0 && type <= 0xbf) return 1 + (type & 0x1f); // fixstr
  if (type >= 0x80 && type <= 0x9f) return undefined; // fixmap, fixarray
  switch (type) {
    case 0xc4:
    case 0xd9:
      return 2 + uint(bytes, at + 1, 1); // bin8, str8
    case 0xc5:
    case 0xda:
      return 3 + uint(bytes, at + 1, 2);
    case 0xc6:
    case 0xdb:
      return 5 + uint(bytes, at + 1, 4);
    case 0xc7:
      return 3 + uint(bytes, at + 1, 1); // ext8: length, type, data
    case 0xc8:
      return 4 + uint(bytes, at + 1, 2);
    case 0xc9:
      return 6 + uint(bytes, at + 1, 4);
    case 0xca:
      return 5;
    case 0xcb:
      return 9;
    case 0xcc:
    case 0xd0:
      return 2;
    case 0xcd:
    case 0xd1:
      return 3;
    case 0xce:
    case 0xd2:
      return 5;
    case 0xcf:
    case 0xd3:
      return 9;
    case 0xd4:
      return 3; // fixext 1: type, 1 byte
    case 0xd5:
      return 4;
    case 0xd6:
      return 6;
    case 0xd7:
      return 10;
    case 0xd8:
      return 18;
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf:
      return undefined;
    default:
      return 1; // nil, booleans, the unused 0xc1 (the decoder refuses it)
  }
}

/** Number of elements (a map's keys and values both count) of the container at `at`. */
function containerSize(bytes: Uint8Array, at: number, type: number): number {
  if (type >= 0x90 && type <= 0x9f) return type & 0x0f;
  if (type >= 0x80 && type <= 0x8f) return 2 * (type & 0x0f);
  if (type === 0xdc) return uint(bytes, at + 1, 2);
  if (type === 0xdd) return uint(bytes, at + 1, 4);
  if (type === 0xde) return 2 * uint(bytes, at + 1, 2);
  return 2 * uint(bytes, at + 1, 4);
}

function containerHeader(type: number): number {
  if (type <= 0x9f) return 1;
  return type === 0xdc || type === 0xde ? 3 : 5;
}

/** A big-endian unsigned integer of `width` bytes (0 past the end: truncated input is the decoder's to refuse). */
function uint(bytes: Uint8Array, at: number, width: number): number {
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + (bytes[at + i] ?? 0);
  return value;
}
