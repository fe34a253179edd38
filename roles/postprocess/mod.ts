/**
 * Post-processing of the CQKD key exchange, network-free: QBER estimation on a sacrificed sample, Cascade error
 * correction behind a {@linkcode ParityOracle} seam, privacy amplification by Toeplitz hashing, key confirmation,
 * the key budget that sizes the rounds, and {@linkcode runSessionLocally}, the whole pipeline in one process.
 *
 * @module
 */
export * from "./bits.ts";
export * from "./cascade.ts";
export * from "./cascade_layout.ts";
export * from "./confirmation.ts";
export * from "./errors.ts";
export * from "./key_budget.ts";
export * from "./local_session.ts";
export * from "./parity_oracle.ts";
export * from "./qber.ts";
export * from "./randomness.ts";
export * from "./secure_length.ts";
export * from "./toeplitz.ts";
