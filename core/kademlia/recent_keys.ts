import { runtime } from "../runtime/mod.ts";

/** Keys added within a window, at most `max` remembered (the oldest is forgotten first); on the runtime clock, so the simulator replays it. */
export class RecentKeys {
  readonly #windowMs: number;
  readonly #max: number;
  /** Key → when it was added, oldest first. */
  readonly #addedAt = new Map<string, number>();

  constructor(windowMs: number, max: number) {
    this.#windowMs = windowMs;
    this.#max = max;
  }

  has(key: string): boolean {
    const at = this.#addedAt.get(key);
    return at !== undefined && runtime.monotonic() - at < this.#windowMs;
  }

  add(key: string): void {
    const now = runtime.monotonic();
    this.#addedAt.delete(key);
    for (const [oldest, at] of this.#addedAt) {
      if (this.#addedAt.size < this.#max && now - at < this.#windowMs) break;
      this.#addedAt.delete(oldest);
    }
    this.#addedAt.set(key, now);
  }
}
