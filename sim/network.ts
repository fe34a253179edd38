import type { DatagramBind, DatagramSocket } from "../core/runtime/mod.ts";
import type { Prng } from "./prng.ts";
import { EventKind, type Scheduler } from "./scheduler.ts";

/** How the simulated network treats datagrams. */
export interface NetworkModel {
  /** Regions hosts are spread over; a link's base latency depends on the two regions. @default {4} */
  regions?: number;
  /** One-way base latency within a region, ms. @default {[1, 10]} (uniform per region) */
  localMs?: [number, number];
  /** One-way base latency between two regions, ms. @default {[20, 120]} (uniform per pair) */
  remoteMs?: [number, number];
  /** Mean of the exponential jitter added to each datagram, as a share of its link's base latency (reorders). @default {0.2} */
  jitter?: number;
  /** Share of datagrams lost. @default {0} */
  loss?: number;
  /** Share of datagrams delivered twice. @default {0} */
  duplicate?: number;
}

/** What happened to the datagrams sent so far. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  /** Dropped by a partition. */
  cut: number;
  /** Sent to an address with no (live) socket. */
  unreachable: number;
}

/** A simulated UDP socket: datagrams queue until the transport's receive loop takes them. */
class SimSocket implements DatagramSocket {
  readonly addr: Deno.NetAddr;
  readonly host: number;
  readonly ctx: number;
  closed = false;
  readonly #queue: Array<[Uint8Array, Deno.NetAddr]> = [];
  #waiting: { resolve: (got: [Uint8Array, Deno.Addr]) => void; reject: (error: unknown) => void } | undefined;
  readonly #network: SimNetwork;

  constructor(network: SimNetwork, addr: Deno.NetAddr, host: number, ctx: number) {
    this.#network = network;
    this.addr = addr;
    this.host = host;
    this.ctx = ctx;
  }

  send(data: Uint8Array, to: Deno.NetAddr): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("socket closed"));
    this.#network.transmit(this, data, to);
    return Promise.resolve(data.length);
  }

  receive(): Promise<[Uint8Array, Deno.Addr]> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("socket closed"));
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => this.#waiting = { resolve, reject });
  }

  deliver(data: Uint8Array, from: Deno.NetAddr): void {
    if (this.closed) return;
    const waiting = this.#waiting;
    if (waiting === undefined) {
      this.#queue.push([data, from]);
      return;
    }
    this.#waiting = undefined;
    waiting.resolve([data, from]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#network.unbind(this);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(new Deno.errors.BadResource("socket closed"));
  }

  /** A crash: the socket is gone, nothing more is delivered and nothing waiting is woken. */
  vanish(): void {
    this.closed = true;
    this.#waiting = undefined;
    this.#network.unbind(this);
  }
}

/** The address of simulated host number `index` (10.0.0.0/8, one host per node). */
export function hostAddress(index: number): string {
  return `10.${(index >>> 16) & 255}.${(index >>> 8) & 255}.${index & 255}`;
}

/** Host numbers by address, parsed once (every datagram names one). */
const hostIndexes = new Map<string, number>();

function hostIndex(host: string): number {
  const known = hostIndexes.get(host);
  if (known !== undefined) return known;
  const index = parseHost(host);
  if (hostIndexes.size < 1 << 20) hostIndexes.set(host, index);
  return index;
}

function parseHost(host: string): number {
  const parts = host.split(".");
  return ((Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
}

/**
 * A datagram network: per-link latency (a base per region pair plus exponential jitter, so datagrams reorder),
 * loss, duplication and partitions, all drawn from the simulation's random source. A datagram to an address with
 * no live socket is silently lost, as UDP to a dead host is.
 */
export class SimNetwork {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, cut: 0, unreachable: 0 };
  /** Bound sockets by port, then host address. */
  readonly #sockets = new Map<number, Map<string, SimSocket>>();
  readonly #scheduler: Scheduler;
  readonly #random: Prng;
  readonly #regions: number;
  readonly #base: Float64Array;
  readonly #jitter: number;
  loss: number;
  duplicate: number;
  /** Side of each host while partitioned (hosts on different sides cannot talk); undefined when whole. */
  #side: ((host: number) => number) | undefined;

  constructor(scheduler: Scheduler, random: Prng, model: NetworkModel = {}) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.#regions = model.regions ?? 4;
    const [localLo, localHi] = model.localMs ?? [1, 10];
    const [remoteLo, remoteHi] = model.remoteMs ?? [20, 120];
    this.#base = new Float64Array(this.#regions * this.#regions);
    for (let a = 0; a < this.#regions; a++) {
      for (let b = a; b < this.#regions; b++) {
        const [lo, hi] = a === b ? [localLo, localHi] : [remoteLo, remoteHi];
        const ms = lo + random.random() * (hi - lo);
        this.#base[a * this.#regions + b] = this.#base[b * this.#regions + a] = ms;
      }
    }
    this.#jitter = model.jitter ?? 0.2;
    this.loss = model.loss ?? 0;
    this.duplicate = model.duplicate ?? 0;
  }

  /** Region of a host: hosts are dealt round-robin. */
  regionOf(host: number): number {
    return host % this.#regions;
  }

  /** Binds a socket for process `ctx`. @throws {Deno.errors.AddrInUse} when the address is taken */
  listen(bind: DatagramBind, ctx: number): DatagramSocket {
    const host = hostIndex(bind.hostname);
    let onPort = this.#sockets.get(bind.port);
    if (onPort === undefined) this.#sockets.set(bind.port, onPort = new Map());
    if (onPort.has(bind.hostname)) throw new Deno.errors.AddrInUse(`${bind.hostname}:${bind.port} is in use`);
    const socket = new SimSocket(this, { transport: "udp", hostname: bind.hostname, port: bind.port }, host, ctx);
    onPort.set(bind.hostname, socket);
    return socket;
  }

  /** The socket bound by process `ctx` at `host:port`, if still bound. */
  socketAt(hostname: string, port: number): SimSocket | undefined {
    return this.#sockets.get(port)?.get(hostname);
  }

  unbind(socket: SimSocket): void {
    const onPort = this.#sockets.get(socket.addr.port);
    if (onPort?.get(socket.addr.hostname) === socket) onPort.delete(socket.addr.hostname);
  }

  /** Cuts the network: hosts with different `side` values cannot talk until {@linkcode heal}. */
  partition(side: (host: number) => number): void {
    this.#side = side;
  }

  heal(): void {
    this.#side = undefined;
  }

  /** Sends one datagram (called by a socket). */
  transmit(from: SimSocket, data: Uint8Array, to: Deno.NetAddr): void {
    this.stats.sent++;
    if (this.loss > 0 && this.#random.random() < this.loss) {
      this.stats.lost++;
      return;
    }
    const copies = this.duplicate > 0 && this.#random.random() < this.duplicate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    const toHost = hostIndex(to.hostname);
    const base = this.#base[this.regionOf(from.host) * this.#regions + this.regionOf(toHost)]!;
    for (let copy = 0; copy < copies; copy++) {
      const delay = base + this.#random.exponential(base * this.#jitter);
      this.#scheduler.at(
        this.#scheduler.now + delay,
        0,
        () => this.#arrive(from, toHost, to, data),
        EventKind.datagram,
      );
    }
  }

  #arrive(from: SimSocket, toHost: number, to: Deno.NetAddr, data: Uint8Array): void {
    if (this.#side !== undefined && this.#side(from.host) !== this.#side(toHost)) {
      this.stats.cut++;
      return;
    }
    const socket = this.#sockets.get(to.port)?.get(to.hostname);
    if (socket === undefined || socket.closed || this.#scheduler.isCrashed(socket.ctx)) {
      this.stats.unreachable++;
      return;
    }
    const resumeAt = this.#scheduler.frozenUntil?.(socket.ctx, this.#scheduler.now);
    if (resumeAt !== undefined && resumeAt > this.#scheduler.now) {
      // The host process is frozen: the datagram waits in the socket's buffer until it resumes.
      this.#scheduler.at(resumeAt + 0.001, 0, () => this.#arrive(from, toHost, to, data), EventKind.datagram);
      return;
    }
    this.stats.delivered++;
    this.#scheduler.trace.add(data.length);
    this.#scheduler.current = socket.ctx;
    socket.deliver(data, from.addr);
  }
}
