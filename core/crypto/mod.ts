/**
 * Node cryptography: Ed25519 signing identities (the key behind a secure node id), X25519 identity key pairs,
 * sealing a message to a recipient's public key (ephemeral X25519 + HKDF-SHA-256 + AES-256-GCM with associated
 * data) and opening it, sealing one message for a set of readers, raw public keys for the wire, and the expansion of
 * a short shared seed into a long public random string, the certificates a cluster authority signs, and XChaCha20-Poly1305
 * sealing in place for the hot paths.
 *
 * @module
 */
export {
  NONCE_BYTES as AEAD_NONCE_BYTES,
  open as aeadOpen,
  seal as aeadSeal,
  TAG_BYTES as AEAD_TAG_BYTES,
} from "./aead.ts";
export * from "./authority_certificate.ts";
export * from "./errors.ts";
export * from "./expand.ts";
export * from "./key_pair.ts";
export * from "./public_key.ts";
export * from "./reader_seal.ts";
export * from "./seal.ts";
export * from "./signing_identity.ts";
