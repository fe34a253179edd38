/**
 * A minimal typed event channel: the data structures and the node report what happens (a contact added or
 * removed, a lookup done) and the services attached to them listen, without either importing the other.
 *
 * @example
 * ```ts
 * import { Emitter } from "./emitter.ts";
 * const removed = new Emitter<string>();
 * const seen: string[] = [];
 * const off = removed.on((id) => seen.push(id));
 * removed.emit("a");
 * off();
 * removed.emit("b");
 * console.assert(seen.join() === "a");
 * ```
 */
export class Emitter<T> {
  readonly #listeners = new Set<(event: T) => void>();

  /** Calls `listener` with every event until the returned function is called. */
  on(listener: (event: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Delivers an event to the current listeners, in subscription order. Listeners must not throw. */
  emit(event: T): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** Number of listeners. */
  get size(): number {
    return this.#listeners.size;
  }
}
