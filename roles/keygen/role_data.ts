/**
 * Role data on the wire: each kind of per-position array (spins, bases, polarizations, readings) takes few values, so
 * it travels packed, ⌈log₂ values⌉ bits a position, behind its count: a batch of 16,384 spins is 2 KB instead of 16, one
 * datagram chunk instead of three. A value outside its kind's alphabet is refused when packing (a worker's bug) and
 * cannot be expressed when unpacking (a hostile worker cannot send a photon at 30°). Kinds without an alphabet (the
 * sifting bitmap, already packed) travel as they are.
 *
 * ```
 * packed: count (u32, little-endian) | values, bits-per-value each, least significant bit first
 * ```
 *
 * @module
 */

/** The values each kind of role data may take, by the name it is routed under. */
const ALPHABETS: Readonly<Record<string, readonly number[]>> = {
  spins: [0, 1],
  bases: [0, 1],
  aliceBases: [0, 1],
  bobBases: [0, 1],
  readings: [0, 1],
  polarizations: [0, 45, 90, 135],
};

const COUNT_BYTES = 4;

function alphabetOf(name: string): readonly number[] | undefined {
  return Object.hasOwn(ALPHABETS, name) ? ALPHABETS[name] : undefined;
}

function bitsPerValue(alphabet: readonly number[]): number {
  return Math.ceil(Math.log2(alphabet.length));
}

/**
 * `values` of kind `name` packed for the wire.
 * @throws {RangeError} when a value is not in the kind's alphabet
 */
export function encodeRoleData(name: string, values: Uint8Array): Uint8Array {
  const alphabet = alphabetOf(name);
  if (alphabet === undefined) return values;
  const bits = bitsPerValue(alphabet);
  const codes = new Int16Array(256).fill(-1);
  alphabet.forEach((value, code) => codes[value] = code);
  const packed = new Uint8Array(COUNT_BYTES + Math.ceil((values.length * bits) / 8));
  new DataView(packed.buffer).setUint32(0, values.length, true);
  for (let i = 0; i < values.length; i++) {
    const code = codes[values[i]!]!;
    if (code < 0) throw new RangeError(`Cannot pack ${name}: ${values[i]} at position ${i} is not one of ${alphabet}`);
    const at = i * bits;
    packed[COUNT_BYTES + (at >> 3)]! |= code << (at & 7);
  }
  return packed;
}

/**
 * The values of kind `name` from their wire form.
 * @throws {TypeError} when the length does not match the count it names
 */
export function decodeRoleData(name: string, packed: Uint8Array): Uint8Array {
  const alphabet = alphabetOf(name);
  if (alphabet === undefined) return packed;
  if (packed.length < COUNT_BYTES) throw new TypeError(`Cannot read ${name}: ${packed.length} bytes, no count`);
  const bits = bitsPerValue(alphabet);
  const count = new DataView(packed.buffer, packed.byteOffset, packed.length).getUint32(0, true);
  if (packed.length !== COUNT_BYTES + Math.ceil((count * bits) / 8)) {
    throw new TypeError(`Cannot read ${name}: ${packed.length} bytes do not hold ${count} values`);
  }
  const mask = (1 << bits) - 1;
  const values = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * bits;
    const code = (packed[COUNT_BYTES + (at >> 3)]! >> (at & 7)) & mask;
    // A code past the alphabet (2 bits can say 4 values; no alphabet here has 3) is refused, not mapped.
    if (code >= alphabet.length) throw new TypeError(`Cannot read ${name}: code ${code} at position ${i}`);
    values[i] = alphabet[code]!;
  }
  return values;
}
