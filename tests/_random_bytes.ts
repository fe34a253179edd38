/** Seeded random choices for the fuzz tests: the same seed gives the same datagrams. */
export interface RandomTools {
  /** An integer in [0, n). */
  int(n: number): number;
  /** `length` random bytes. */
  bytes(length: number): Uint8Array;
  /** One of `items`. */
  choose<T>(items: readonly T[]): T;
  /** A random 20-byte id. */
  id(): Uint8Array;
}

/** Random choices drawn from `rand` (a seeded generator returning [0, 1)). */
export function randomTools(rand: () => number): RandomTools {
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (length: number) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = int(256);
    return out;
  };
  return { int, bytes, choose: (items) => items[int(items.length)]!, id: () => bytes(20) };
}
