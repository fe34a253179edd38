/** The node's key store: where confirmed keys wait for delivery. */
export * from "./key_store.ts";
