/**
 * Keeping msgpack float types that a JS number cannot carry. A legacy node may store 2.0 (`cb 4000…`) or a
 * float32; decoded into a JS number it would travel back as the integer 2, or as a float64. Values always
 * travel last in their message (the last argument of `store`, the last entry of a `find_value` answer), so a
 * float found at the very end of a payload is kept as a {@linkcode MsgpackFloat}, and one that ends a message
 * to encode is spliced back as the same bytes.
 */
import { type Decoder, type Encoder, ExtensionCodec } from "@msgpack/msgpack";

/** A number that travels as a msgpack float of the given width, even when it is integral (2.0) or -0. */
export class MsgpackFloat {
  constructor(readonly value: number, readonly width: 32 | 64) {}

  /** The msgpack bytes: `cb` + float64, or `ca` + float32, big-endian. */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(this.width === 64 ? 9 : 5);
    const view = new DataView(bytes.buffer);
    bytes[0] = this.width === 64 ? 0xcb : 0xca;
    if (this.width === 64) view.setFloat64(1, this.value);
    else view.setFloat32(1, this.value);
    return bytes;
  }
}

/** Refuses a MsgpackFloat anywhere but last in a message, where it cannot be spliced (instead of encoding a map). */
export const refuseMisplacedFloats: ExtensionCodec = new ExtensionCodec();
refuseMisplacedFloats.register({
  type: 0,
  encode: (object) => {
    if (object instanceof MsgpackFloat) {
      throw new TypeError("Cannot encode a MsgpackFloat but as a message's last value");
    }
    return null;
  },
  decode: (data) => data,
});

/** Encodes `value`, writing a MsgpackFloat that is its last scalar as the exact float bytes. */
export function encodeKeepingFloat(encoder: Encoder, value: unknown): Uint8Array {
  const last = lastScalar(value);
  if (!(last instanceof MsgpackFloat)) return encoder.encode(value);
  const body = encoder.encode(replaceLastScalar(value, null));
  const tail = last.toBytes();
  const out = new Uint8Array(body.length - 1 + tail.length);
  out.set(body.subarray(0, body.length - 1));
  out.set(tail, body.length - 1);
  return out;
}

/** Decodes `payload`, turning a trailing float that a JS number would not re-encode alike into a MsgpackFloat. */
export function decodeKeepingFloat(decoder: Decoder, payload: Uint8Array): unknown {
  const value = decoder.decode(payload);
  const float = trailingFloat(payload);
  if (float === undefined || !Object.is(lastScalar(value), float.value)) return value;
  const reencodesAlike = float.width === 64 && !Number.isInteger(float.value);
  return reencodesAlike ? value : replaceLastScalar(value, float);
}

function trailingFloat(payload: Uint8Array): MsgpackFloat | undefined {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.length >= 9 && payload[payload.length - 9] === 0xcb) {
    return new MsgpackFloat(view.getFloat64(payload.length - 8), 64);
  }
  if (payload.length >= 5 && payload[payload.length - 5] === 0xca) {
    return new MsgpackFloat(view.getFloat32(payload.length - 4), 32);
  }
  return undefined;
}

/** The value encoded last: the last element of arrays and the last value of maps, recursively. */
function lastScalar(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? value : lastScalar(value.at(-1));
  if (isPlainMap(value)) {
    const values = Object.values(value);
    return values.length === 0 ? value : lastScalar(values.at(-1));
  }
  return value;
}

/** A copy of `value` with its last scalar replaced (the containers on the way are copied, nothing is mutated). */
function replaceLastScalar(value: unknown, replacement: unknown): unknown {
  if (Array.isArray(value) && value.length > 0) {
    return [...value.slice(0, -1), replaceLastScalar(value.at(-1), replacement)];
  }
  if (isPlainMap(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return value;
    const [key, last] = entries.at(-1)!;
    return { ...value, [key]: replaceLastScalar(last, replacement) };
  }
  return replacement;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}
