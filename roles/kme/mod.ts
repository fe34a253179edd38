/**
 * Key delivery to applications: Key Management Entities serving ETSI GS QKD 014 over mutual TLS from the node's key
 * store, their local PKI, a client, and the key pool that keeps the stores filled.
 *
 * @module
 */
export * from "./etsi.ts";
export * from "./etsi_client.ts";
export * from "./kme_app.ts";
export * from "./kme_server.ts";
export * from "./pki.ts";
export * from "./key_pool.ts";
export * from "./local_producer.ts";
export * from "./key_slices.ts";
export * from "./network_producer.ts";
