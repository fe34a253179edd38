/**
 * XChaCha20-Poly1305 over libsodium's raw WebAssembly exports, sealing and opening in place in one scratch area of
 * its memory. The wrapper functions of libsodium-wrappers allocate, copy and check each argument on every call;
 * this way a datagram costs one copy in and one copy out, which halves the cost of the envelope per datagram.
 */
import sodium from "libsodium-wrappers";
import { runtime } from "../runtime/mod.ts";

await sodium.ready;

interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  // 64-bit lengths travel as two 32-bit halves (low, high).
  _crypto_aead_xchacha20poly1305_ietf_encrypt(
    c: number,
    clenP: number,
    m: number,
    mlenLo: number,
    mlenHi: number,
    ad: number,
    adlenLo: number,
    adlenHi: number,
    nsec: number,
    npub: number,
    k: number,
  ): number;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(
    m: number,
    mlenP: number,
    nsec: number,
    c: number,
    clenLo: number,
    clenHi: number,
    ad: number,
    adlenLo: number,
    adlenHi: number,
    npub: number,
    k: number,
  ): number;
}

const raw = (sodium as unknown as { libsodium: RawSodium }).libsodium;

/** Length of the nonce (the envelope's message id). */
export const NONCE_BYTES = 24;
/** Length of the authentication tag. */
export const TAG_BYTES = 16;
const KEY_BYTES = 32;
const NO_CONTEXT = new Uint8Array(0);

/** The scratch area: the key, then the datagram being sealed or opened. Grown on demand, never shrunk. */
let scratch = 0;
let scratchBytes = 0;

function reserve(datagramBytes: number): number {
  if (datagramBytes + KEY_BYTES > scratchBytes) {
    if (scratch !== 0) raw._free(scratch);
    scratchBytes = Math.max(65536, datagramBytes + KEY_BYTES);
    scratch = raw._malloc(scratchBytes);
    if (scratch === 0) throw new RangeError(`Cannot seal a datagram of ${datagramBytes} bytes: out of memory`);
  }
  return scratch;
}

/**
 * Copies key | context | `bytes` into the scratch area, with room for `bytes` to grow to `size`: the additional data
 * (context, then the clear header at the start of `bytes`) is contiguous. @returns the heap and the offsets
 */
function stage(key: Uint8Array, context: Uint8Array, bytes: Uint8Array, size: number) {
  const base = reserve(context.length + size);
  const aad = base + KEY_BYTES;
  const at = aad + context.length;
  // HEAPU8 is read after reserving: a growing memory replaces it.
  const heap = raw.HEAPU8;
  heap.set(key, base);
  heap.set(context, aad);
  heap.set(bytes, at);
  return { heap, base, aad, at };
}

/**
 * Seals `header` (authenticated, sent in clear; the nonce is its last 24 bytes, which this fills with random bytes)
 * followed by the concatenation of `parts` (encrypted). `context` is authenticated too but not sent: the receiver
 * must know it (its own node id), or the datagram does not open.
 * @returns header | ciphertext | tag, a fresh array
 */
export function seal(
  header: Uint8Array,
  parts: readonly Uint8Array[],
  key: Uint8Array,
  context: Uint8Array = NO_CONTEXT,
): Uint8Array {
  let plainBytes = 0;
  for (const part of parts) plainBytes += part.length;
  const total = header.length + plainBytes + TAG_BYTES;
  const { heap, base, aad, at } = stage(key, context, header, total);
  const nonce = at + header.length - NONCE_BYTES;
  runtime.randomBytes(heap.subarray(nonce, nonce + NONCE_BYTES));
  let offset = at + header.length;
  for (const part of parts) {
    heap.set(part, offset);
    offset += part.length;
  }
  const body = at + header.length;
  const aadBytes = context.length + header.length;
  raw._crypto_aead_xchacha20poly1305_ietf_encrypt(body, 0, body, plainBytes, 0, aad, aadBytes, 0, 0, nonce, base);
  return heap.slice(at, at + total);
}

/**
 * Opens a datagram sealed by {@linkcode seal} whose clear header is its first `headerBytes` bytes, with the same
 * `context` it was sealed with.
 * @returns the plaintext (a fresh array), or undefined when the tag does not verify
 */
export function open(
  datagram: Uint8Array,
  headerBytes: number,
  key: Uint8Array,
  context: Uint8Array = NO_CONTEXT,
): Uint8Array | undefined {
  const { heap, base, aad, at } = stage(key, context, datagram, datagram.length);
  const body = at + headerBytes;
  const sealedBytes = datagram.length - headerBytes;
  const nonce = body - NONCE_BYTES;
  const aadBytes = context.length + headerBytes;
  const failed = raw._crypto_aead_xchacha20poly1305_ietf_decrypt(
    body,
    0,
    0,
    body,
    sealedBytes,
    0,
    aad,
    aadBytes,
    0,
    nonce,
    base,
  );
  return failed === 0 ? heap.slice(body, body + sealedBytes - TAG_BYTES) : undefined;
}
