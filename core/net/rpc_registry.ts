import type { Sender } from "./envelope.ts";

/**
 * Serves one RPC method: gets the request's args and the sender (its address, and in secure mode the id it proved),
 * returns the response value.
 */
export type RpcHandler = (args: unknown[], from: Sender) => unknown;

/**
 * The methods one node answers. Kademlia registers the legacy RPCs; roles add their own under new names, which
 * legacy nodes ignore.
 */
export class RpcRegistry {
  readonly #handlers = new Map<string, RpcHandler>();

  /** Adds a method. @throws {Error} when the name is taken */
  register(method: string, handler: RpcHandler): void {
    if (this.#handlers.has(method)) throw new Error(`Cannot register RPC ${method}: it is already registered`);
    this.#handlers.set(method, handler);
  }

  /** Removes a method (a service that stops withdraws its RPCs); returns whether it was registered. */
  unregister(method: string): boolean {
    return this.#handlers.delete(method);
  }

  /** The handler of a method, if registered. */
  get(method: string): RpcHandler | undefined {
    return this.#handlers.get(method);
  }

  /** Names of the registered methods. */
  methods(): string[] {
    return [...this.#handlers.keys()];
  }
}
