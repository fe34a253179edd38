/**
 * Secure transport of a cqkd cluster: the cluster keyring (file, environment, rotation), replay protection, and the
 * datagram envelope that seals every frame and proves the sender's node id.
 *
 * @module
 */
export * from "./keyring.ts";
export * from "./keyring_file.ts";
export * from "./replay_guard.ts";
export * from "./secure_envelope.ts";
