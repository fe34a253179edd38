import type { Contact } from "../kademlia/mod.ts";

/** A live node found by discovery, with what it advertises. */
export interface DiscoveredNode extends Contact {
  readonly role: string;
  readonly capabilities: readonly string[];
}

/** Raised when discovery cannot find enough live workers: says how many it found. */
export class NotEnoughNodesError extends Error {
  override name = "NotEnoughNodesError";
  constructor(readonly required: number, readonly found: number, readonly capabilities: readonly string[] = []) {
    const which = capabilities.length === 0 ? "workers" : `workers with ${capabilities.join(", ")}`;
    super(`Cannot discover ${required} ${which}: found only ${found} live`);
  }
}
