/**
 * Sealing one message for a set of readers: a random content key encrypts the message once (AES-256-GCM), and the
 * content key is sealed to each reader's X25519 public key, so the message costs its own length once plus 81 bytes
 * per reader. Format: `[version 1][reader count 1][sealed content key 81 × count][iv 12][ciphertext + tag 16]`.
 * The readers' public keys are not listed: a reader finds its slot by trying them.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { SEAL_HEADER_BYTES, SEAL_TAG_BYTES } from "./_sealing.ts";
import { SealedMessageError } from "./errors.ts";
import type { NodeKeyPair } from "./key_pair.ts";
import { seal, type SealOptions } from "./seal.ts";

/** Format byte of messages sealed for readers. */
const READER_SEAL_VERSION = 1;
const CONTENT_KEY_BYTES = 32;
const IV_BYTES = 12;
/** Bytes of one reader's sealed content key. */
export const READER_SLOT_BYTES = SEAL_HEADER_BYTES + CONTENT_KEY_BYTES + SEAL_TAG_BYTES;
/** Most readers one message can have (the count is one byte). */
export const MAX_READERS = 255;

/**
 * Encrypts `message` so that exactly the holders of `readerPublicKeys` can open it with
 * {@linkcode openAsReader}. The associated data binds both the content and every sealed key.
 *
 * @param readerPublicKeys raw 32-byte X25519 public keys, 1 to {@linkcode MAX_READERS}
 * @throws {RangeError} for no reader or too many
 * @throws {TypeError} for a malformed or low-order public key
 * @example
 * ```ts
 * import { NodeKeyPair, openAsReader, sealForReaders } from "./mod.ts";
 * const alice = await NodeKeyPair.generate();
 * const bob = await NodeKeyPair.generate();
 * const sealed = await sealForReaders(new TextEncoder().encode("hi"), [alice.publicKey, bob.publicKey]);
 * console.assert(new TextDecoder().decode(await openAsReader(sealed, bob)) === "hi");
 * ```
 */
export async function sealForReaders(
  message: Uint8Array,
  readerPublicKeys: readonly Uint8Array[],
  options: SealOptions = {},
): Promise<Uint8Array> {
  const count = readerPublicKeys.length;
  if (count < 1 || count > MAX_READERS) {
    throw new RangeError(`Cannot seal for ${count} readers: expected 1 to ${MAX_READERS}`);
  }
  const associatedData = options.associatedData ?? new Uint8Array();
  const contentKey = new Uint8Array(randomBytes(CONTENT_KEY_BYTES));
  const slots = await Promise.all(readerPublicKeys.map((key) => seal(contentKey, key, { associatedData })));
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", contentKey, iv).setAAD(associatedData);
  const ciphertext = Buffer.concat([cipher.update(message), cipher.final(), cipher.getAuthTag()]);
  const sealed = new Uint8Array(2 + count * READER_SLOT_BYTES + IV_BYTES + ciphertext.length);
  sealed[0] = READER_SEAL_VERSION;
  sealed[1] = count;
  slots.forEach((slot, i) => sealed.set(slot, 2 + i * READER_SLOT_BYTES));
  const body = 2 + count * READER_SLOT_BYTES;
  sealed.set(iv, body);
  sealed.set(ciphertext, body + IV_BYTES);
  return sealed;
}

/**
 * Opens a message sealed by {@linkcode sealForReaders} with one reader's key pair.
 *
 * @throws {SealedMessageError} `malformed` for a message of another shape; `unauthentic` when the key pair is not
 * one of its readers or the message was altered (the two cannot be told apart)
 */
export async function openAsReader(
  sealed: Uint8Array,
  reader: NodeKeyPair,
  options: SealOptions = {},
): Promise<Uint8Array> {
  const count = sealed[1] ?? 0;
  const body = 2 + count * READER_SLOT_BYTES;
  if (sealed[0] !== READER_SEAL_VERSION || count === 0 || sealed.length < body + IV_BYTES + SEAL_TAG_BYTES) {
    throw new SealedMessageError("malformed", "expected a message sealed for readers (format 1)");
  }
  const associatedData = options.associatedData ?? new Uint8Array();
  let contentKey: Uint8Array | undefined;
  for (let i = 0; i < count && contentKey === undefined; i++) {
    const slot = sealed.subarray(2 + i * READER_SLOT_BYTES, 2 + (i + 1) * READER_SLOT_BYTES);
    contentKey = await reader.open(slot, { associatedData }).catch(() => undefined);
  }
  const unauthentic = (cause?: unknown) =>
    new SealedMessageError("unauthentic", "this key pair is not one of its readers, or it was altered", { cause });
  if (contentKey?.length !== CONTENT_KEY_BYTES) throw unauthentic();
  const ciphertext = sealed.subarray(body + IV_BYTES, sealed.length - SEAL_TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", contentKey, sealed.subarray(body, body + IV_BYTES))
      .setAAD(associatedData)
      .setAuthTag(sealed.subarray(sealed.length - SEAL_TAG_BYTES));
    return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  } catch (error) {
    throw unauthentic(error);
  }
}
