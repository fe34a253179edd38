/**
 * The legacy-compatible frame (rpcudp + msgpack): one datagram per message, byte 0 is 0x00 (request) or 0x01
 * (response), bytes 1-20 the message id, the rest msgpack — `[method, args]` for a request, the return value for
 * a response.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { decodeKeepingFloat, encodeKeepingFloat, refuseMisplacedFloats } from "./msgpack_float.ts";
import { MAX_MSGPACK_DEPTH, nestsDeeperThan } from "./msgpack_depth.ts";
import { runtime } from "../runtime/mod.ts";

export const REQUEST_BYTE = 0x00;
export const RESPONSE_BYTE = 0x01;
export const MESSAGE_ID_BYTES = 20;
/** Header (kind byte + message id) plus at least one msgpack byte: anything shorter is dropped, as legacy nodes do. */
export const MIN_DATAGRAM_BYTES = 1 + MESSAGE_ID_BYTES + 1;
/** Legacy senders refuse requests whose msgpack part is larger; cqkd keeps to the same limit. */
export const MAX_REQUEST_PAYLOAD_BYTES = 8192;

/** A decoded datagram. */
export type Frame =
  | { kind: "request"; messageId: Uint8Array; method: string; args: unknown[] }
  | { kind: "response"; messageId: Uint8Array; result: unknown };

/** Why a datagram could not be read as a frame. */
export type MalformedReason = "short" | "unknown-kind" | "too-deep" | "msgpack" | "shape";

/** Raised by {@linkcode decodeFrame} for a datagram that is not a well-formed frame. */
export class MalformedFrameError extends Error {
  override name = "MalformedFrameError";
  constructor(readonly reason: MalformedReason, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Raised when a request would exceed the legacy 8 KiB payload limit. */
export class FrameTooLargeError extends RangeError {
  override name = "FrameTooLargeError";
  constructor(readonly payloadBytes: number, readonly limitBytes: number) {
    super(`Cannot send the request: its payload is ${payloadBytes} bytes, the limit is ${limitBytes}`);
  }
}

// int64/uint64 travel as bigints, so that integers past 2^53 written by legacy nodes come back exact.
const encoder = new Encoder({ useBigInt64: true, extensionCodec: refuseMisplacedFloats });
// Datagrams are small, so the limits only guard against lying length prefixes.
const decoder = new Decoder({
  useBigInt64: true,
  maxStrLength: 65536,
  maxBinLength: 65536,
  maxArrayLength: 4096,
  maxMapLength: 1024,
});

/** The msgpack encoding of one value, as it travels inside a frame. */
export function encodeValue(value: unknown): Uint8Array {
  return encodeKeepingFloat(encoder, value);
}

/** A fresh random message id. */
export function newMessageId(): Uint8Array {
  return runtime.randomBytes(new Uint8Array(MESSAGE_ID_BYTES));
}

/** Encodes a request frame. @throws {FrameTooLargeError} past the legacy payload limit */
export function encodeRequest(messageId: Uint8Array, method: string, args: readonly unknown[]): Uint8Array {
  const payload = encodeKeepingFloat(encoder, [method, args]);
  if (payload.length > MAX_REQUEST_PAYLOAD_BYTES) {
    throw new FrameTooLargeError(payload.length, MAX_REQUEST_PAYLOAD_BYTES);
  }
  return frame(REQUEST_BYTE, messageId, payload);
}

/** Encodes a response frame. */
export function encodeResponse(messageId: Uint8Array, result: unknown): Uint8Array {
  return frame(RESPONSE_BYTE, messageId, encodeKeepingFloat(encoder, result));
}

/**
 * Decodes one datagram. The returned frame may share memory with `datagram`: pass a buffer the caller owns.
 * @throws {MalformedFrameError} naming what is wrong
 */
export function decodeFrame(datagram: Uint8Array): Frame {
  if (datagram.length < MIN_DATAGRAM_BYTES) {
    throw new MalformedFrameError("short", `Datagram of ${datagram.length} bytes is shorter than a frame`);
  }
  const kind = datagram[0];
  if (kind !== REQUEST_BYTE && kind !== RESPONSE_BYTE) {
    throw new MalformedFrameError("unknown-kind", `Datagram starts with unknown byte 0x${kind!.toString(16)}`);
  }
  const messageId = datagram.subarray(1, 1 + MESSAGE_ID_BYTES);
  const payload = datagram.subarray(1 + MESSAGE_ID_BYTES);
  if (nestsDeeperThan(payload, MAX_MSGPACK_DEPTH)) {
    throw new MalformedFrameError("too-deep", `Datagram body nests deeper than ${MAX_MSGPACK_DEPTH} levels`);
  }
  let body: unknown;
  try {
    body = decodeKeepingFloat(decoder, payload);
  } catch (cause) {
    throw new MalformedFrameError("msgpack", `Datagram body is not msgpack: ${(cause as Error).message}`, { cause });
  }
  if (kind === RESPONSE_BYTE) return { kind: "response", messageId, result: body };
  if (!Array.isArray(body) || body.length !== 2 || typeof body[0] !== "string" || !Array.isArray(body[1])) {
    throw new MalformedFrameError("shape", "Request body is not [method, args]");
  }
  return { kind: "request", messageId, method: body[0], args: body[1] };
}

function frame(kind: number, messageId: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + MESSAGE_ID_BYTES + payload.length);
  out[0] = kind;
  out.set(messageId, 1);
  out.set(payload, 1 + MESSAGE_ID_BYTES);
  return out;
}
