import { runtime } from "../runtime/mod.ts";
/** An inclusive range of ports. */
export interface PortRange {
  first: number;
  last: number;
}

/** Options of {@linkcode PortRegistry}. */
export interface PortRegistryOptions {
  /**
   * Ranges a port may come from (the security policy): a range handed to the registry is refused unless it lies
   * inside one of them. @default the registry's own range
   */
  allowed?: readonly PortRange[];
  /** Give up allocating after this long. @default {10000} */
  allocationTimeoutMs?: number;
  /** Clock in milliseconds. @default {performance.now} */
  now?: () => number;
}

/** A port the registry skipped because something else held it. */
export interface PortConflict {
  port: number;
  /** What binding it said. */
  reason: string;
}

/** Raised when every port of the range is allocated or held by another process. */
export class PortExhaustedError extends Error {
  override name = "PortExhaustedError";
  constructor(readonly range: PortRange, readonly conflicts: number) {
    super(
      `Cannot allocate a port: range ${formatRange(range)} is exhausted` +
        (conflicts > 0 ? ` (${conflicts} ports held by other processes)` : ""),
    );
  }
}

/** Raised when allocation takes longer than the allocation timeout. */
export class PortAllocationTimeoutError extends Error {
  override name = "PortAllocationTimeoutError";
  constructor(readonly range: PortRange, readonly timeoutMs: number, readonly tried: number) {
    super(`Cannot allocate a port: no free port in ${formatRange(range)} after ${timeoutMs} ms (${tried} tried)`);
  }
}

/** `7000-7999`. */
export function formatRange(range: PortRange): string {
  return `${range.first}-${range.last}`;
}

/**
 * Hands out unique ports of a range to the nodes of a process. A port is tried by binding it for real,
 * through the caller's `bind` function, so that a port held by another process is skipped (and recorded) without a
 * probe-then-bind race. Allocation moves round the range instead of always starting at its first port, so a port
 * just released is reused last: late datagrams meant for the node that had it do not reach the next one.
 *
 * @example Two nodes get two ports of 7000-7999
 * ```ts
 * import { PortRegistry } from "./mod.ts";
 * const ports = new PortRegistry({ first: 7000, last: 7999 });
 * const a = ports.allocate((port) => port);
 * const b = ports.allocate((port) => port);
 * console.assert(a === 7000 && b === 7001 && ports.size === 2);
 * ```
 */
export class PortRegistry {
  readonly range: PortRange;
  readonly #allocated = new Map<number, string>();
  readonly #conflicts = new Map<number, string>();
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #cursor: number;

  /** @throws {RangeError} for a range that is empty, outside 1-65535 or outside the allowed ranges */
  constructor(range: PortRange, options: PortRegistryOptions = {}) {
    const { first, last } = range;
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > 65535 || first > last) {
      throw new RangeError(`Invalid port range ${formatRange(range)}: expected 1 <= first <= last <= 65535`);
    }
    const allowed = options.allowed ?? [range];
    if (!allowed.some((a) => a.first <= first && last <= a.last)) {
      throw new RangeError(
        `Port range ${formatRange(range)} is not allowed (allowed: ${allowed.map(formatRange).join(", ")})`,
      );
    }
    this.range = { first, last };
    this.#timeoutMs = options.allocationTimeoutMs ?? 10_000;
    this.#now = options.now ?? (() => runtime.monotonic());
    this.#cursor = first;
  }

  /** Number of ports allocated. */
  get size(): number {
    return this.#allocated.size;
  }

  /**
   * Binds the next free port with `bind` and records it for `owner`. A port whose bind fails with "address in use"
   * is skipped and recorded as a conflict; any other error is the caller's and is thrown as is.
   * @throws {PortExhaustedError} when no port of the range is left
   * @throws {PortAllocationTimeoutError} when the allocation timeout passes first
   */
  allocate<T>(bind: (port: number) => T, owner = ""): T {
    const started = this.#now();
    const span = this.range.last - this.range.first + 1;
    let tried = 0;
    for (let step = 0; step < span; step++) {
      const port = this.#cursor;
      this.#cursor = port === this.range.last ? this.range.first : port + 1;
      if (this.#allocated.has(port)) continue;
      if (this.#now() - started > this.#timeoutMs) {
        throw new PortAllocationTimeoutError(this.range, this.#timeoutMs, tried);
      }
      tried++;
      try {
        const bound = bind(port);
        this.#allocated.set(port, owner);
        this.#conflicts.delete(port);
        return bound;
      } catch (error) {
        if (!(error instanceof Deno.errors.AddrInUse)) throw error;
        this.#conflicts.set(port, error.message);
      }
    }
    throw new PortExhaustedError(this.range, this.#conflicts.size);
  }

  /** Returns a port to the pool. Releasing a port that is not allocated does nothing. */
  release(port: number): void {
    this.#allocated.delete(port);
  }

  /** The owner a port was allocated for, if allocated. */
  ownerOf(port: number): string | undefined {
    return this.#allocated.get(port);
  }

  /** Ports skipped because another process held them, in the order met. */
  conflicts(): PortConflict[] {
    return [...this.#conflicts].map(([port, reason]) => ({ port, reason }));
  }
}

/**
 * The worker port range for a network of `count` nodes: `base..max` when it is large enough, else extended past
 * `max` (a larger network extends the range).
 * @throws {RangeError} when the extended range would pass port 65535
 */
export function portRangeFor(count: number, base: number, max: number): PortRange {
  const last = Math.max(max, base + count - 1);
  if (last > 65535) {
    throw new RangeError(`Cannot fit ${count} ports from ${base}: the range would end at ${last}, past 65535`);
  }
  return { first: base, last };
}

/**
 * Splits a range into `parts` disjoint, contiguous slices of near-equal size, one per host process, so that the
 * processes of one cluster never compete for a port.
 * @throws {RangeError} when the range has fewer ports than parts
 */
export function splitRange(range: PortRange, parts: number): PortRange[] {
  const span = range.last - range.first + 1;
  if (!Number.isInteger(parts) || parts < 1 || parts > span) {
    throw new RangeError(`Cannot split ${formatRange(range)} into ${parts} parts`);
  }
  const slices: PortRange[] = [];
  let first = range.first;
  for (let i = 0; i < parts; i++) {
    const size = Math.floor(span / parts) + (i < span % parts ? 1 : 0);
    slices.push({ first, last: first + size - 1 });
    first += size;
  }
  return slices;
}
