/**
 * The worker role: the executor that runs QSG, BG, QPP, QPM and QPC on batches of positions for a key exchange.
 *
 * @module
 */
export * from "./worker_service.ts";
