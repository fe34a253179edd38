/**
 * The one seam between node logic and the world: wall clock, monotonic clock, timers, randomness and datagram
 * sockets. Node code in core/ and roles/ calls {@linkcode runtime} and never the globals, so that the simulator
 * (sim/) can install a virtual clock, a seeded random source and a simulated network and run the same code
 * deterministically. In production the real runtime, which wraps Deno's, is in force.
 */

/** The part of `Deno.DatagramConn` a transport uses: what the simulated network implements. */
export interface DatagramSocket {
  readonly addr: Deno.Addr;
  send(data: Uint8Array, addr: Deno.NetAddr): Promise<number>;
  receive(buffer?: Uint8Array): Promise<[Uint8Array, Deno.Addr]>;
  close(): void;
}

/** Where a datagram socket binds. */
export interface DatagramBind {
  hostname: string;
  port: number;
}

/** A timer's handle: the type callers already declare (`ReturnType<typeof setTimeout>`). */
export type TimerHandle = ReturnType<typeof setTimeout>;

/** Time, timers, randomness and sockets, as node logic sees them. */
export interface Runtime {
  /** Wall clock in milliseconds since the epoch (as `Date.now`). */
  now(): number;
  /** Monotonic clock in milliseconds (as `performance.now`), for durations. */
  monotonic(): number;
  /** Calls `callback` once after `ms` milliseconds; the handle cancels it. */
  setTimeout(callback: (value?: unknown) => void, ms?: number): TimerHandle;
  /** Cancels a timer; unknown or undefined handles are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
  /** A uniform number in [0, 1) (as `Math.random`): not for secrets. */
  random(): number;
  /** Fills `bytes` with random bytes (as `crypto.getRandomValues`, at most 65536 at once) and returns it. */
  randomBytes<T extends Uint8Array>(bytes: T): T;
  /** A random version 4 UUID (as `crypto.randomUUID`). */
  randomUUID(): string;
  /** Binds a UDP socket (as `Deno.listenDatagram`). @throws {Deno.errors.AddrInUse} when the port is taken */
  listenDatagram(bind: DatagramBind): DatagramSocket;
}

/** Deno's clock, timers, CSPRNG and UDP sockets: what production runs on. */
export const realRuntime: Runtime = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle),
  random: () => Math.random(),
  randomBytes: (bytes) => crypto.getRandomValues(bytes),
  randomUUID: () => crypto.randomUUID(),
  listenDatagram: ({ hostname, port }) => Deno.listenDatagram({ transport: "udp", hostname, port }),
};

let current: Runtime = realRuntime;

/**
 * The runtime in force. Its methods are stable functions that forward to whichever runtime is installed, so that
 * `options.now ?? runtime.now` may be captured once.
 */
export const runtime: Runtime = {
  now: () => current.now(),
  monotonic: () => current.monotonic(),
  setTimeout: (callback, ms) => current.setTimeout(callback, ms),
  clearTimeout: (handle) => current.clearTimeout(handle),
  random: () => current.random(),
  randomBytes: (bytes) => current.randomBytes(bytes),
  randomUUID: () => current.randomUUID(),
  listenDatagram: (bind) => current.listenDatagram(bind),
};

/**
 * Installs `replacement` as the runtime of this process until the returned handle is disposed (the previous one is
 * restored then). Only the simulator and tests do this; installs nest.
 */
export function installRuntime(replacement: Runtime): Disposable & { restore(): void } {
  const previous = current;
  current = replacement;
  const restore = () => {
    if (current === replacement) current = previous;
  };
  return { restore, [Symbol.dispose]: restore };
}

/** Whether the real runtime is in force (the simulator refuses to nest in another simulation). */
export function isRealRuntime(): boolean {
  return current === realRuntime;
}
