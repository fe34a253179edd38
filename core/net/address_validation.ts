/**
 * Address validation against reflection and amplification: a plaintext request can come from a spoofed address,
 * so a reply larger than {@linkcode AMPLIFICATION_FACTOR} times its request waits until the address has proven
 * that it receives what is sent to it. It proves so by answering a request of ours: any request (an address that
 * answered one of our lookups), or the probe sent for the purpose (a `stun`, which legacy nodes answer too: they
 * cannot echo a cookie; unlike a ping, it makes no contact of the prober). The probe's random message id, echoed
 * in the answer, is the cookie.
 *
 * Bounded: at most {@linkcode MAX_PROBES} probes in flight, {@linkcode MAX_HELD_REPLIES} replies held, and an
 * address whose probe went unanswered is not probed again for {@linkcode PROBE_BACKOFF_MS}, twice that after a second
 * failure in a row, and so on up to {@linkcode FAILED_PROBE_MEMORY_MS}; the verified and failed addresses are
 * remembered in bounded maps.
 */
import { GenerationalMap } from "./generational_map.ts";
import type { Peer } from "./peer.ts";
import { runtime } from "../runtime/mod.ts";

/** A reply to an unproven address is at most this many times the size of its request. */
export const AMPLIFICATION_FACTOR = 3;
export const MAX_PROBES = 256;
export const MAX_HELD_REPLIES = 256;
/** The longest wait before an address whose probes keep failing is probed again. */
export const FAILED_PROBE_MEMORY_MS = 60_000;
/**
 * The first wait after a failed probe. Short, because an honest requester fails a probe whenever its process stalls
 * for longer than the probe waits (a loaded host: its later requests must get answers again soon); doubling with
 * each failure in a row, so that a spoofed victim gets a few probes a minute at most.
 */
export const PROBE_BACKOFF_MS = 2000;
/**
 * A probe unanswered this long failed (its held replies are dropped): under the 5 s a request waits for its answer,
 * so that a requester stalled for a few seconds still proves its address in time for the reply.
 */
export const PROBE_TIMEOUT_MS = 4000;
/**
 * Copies of a probe sent within {@linkcode PROBE_TIMEOUT_MS}, each after the one before went unanswered for its share of
 * it: one lost datagram must not leave an honest address unproven (and unprobed for a minute) on a lossy link.
 */
export const PROBE_ATTEMPTS = 4;

/** Options of {@linkcode AddressValidation}. */
export interface AddressValidationOptions {
  /** Sends a request to `peer` and resolves when it answers (rejects when not). */
  probe: (peer: Peer) => Promise<unknown>;
  /** Sends a datagram (a held reply, once its address is proven). */
  send: (datagram: Uint8Array, to: Peer) => void;
  /** A held reply was dropped: its address never proved it receives, or too many were held. */
  onDropped: () => void;
  /** Addresses remembered as proven. @default {65536} */
  limit?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Which addresses have proven they receive, and the replies waiting for the others. */
export class AddressValidation {
  readonly #options: AddressValidationOptions;
  readonly #now: () => number;
  readonly #proven: GenerationalMap<string, true>;
  /** When each address's last probe went unanswered, and how long it waits for the next. */
  readonly #failed: GenerationalMap<string, { at: number; backoffMs: number }>;
  /** Addresses being probed, with the replies waiting for them. */
  readonly #probing = new Map<string, Probing>();
  #heldCount = 0;
  /** Probes sent so far (what the spoofed traffic made this node send). */
  probesSent = 0;

  constructor(options: AddressValidationOptions) {
    this.#options = options;
    this.#now = options.now ?? runtime.now;
    this.#proven = new GenerationalMap(options.limit ?? 65536);
    this.#failed = new GenerationalMap(options.limit ?? 65536);
  }

  /** Probes in flight. */
  get probing(): number {
    return this.#probing.size;
  }

  /** Whether `peer` has proven it receives at its address. */
  isProven(peer: Peer): boolean {
    return this.#proven.get(key(peer)) === true;
  }

  /** `peer` answered one of our requests: it receives there. Sends the replies that waited for it. */
  proven(peer: Peer): void {
    const address = key(peer);
    if (this.#proven.get(address) === true) return;
    this.#proven.set(address, true);
    const probing = this.#probing.get(address);
    if (probing === undefined) return;
    this.#probing.delete(address);
    this.#heldCount -= probing.held.length;
    for (const datagram of probing.held) this.#options.send(datagram, probing.to);
    probing.onProven?.();
  }

  /** Sends `reply` to `to` now if small enough or `to` is proven; else holds it and probes `to`. */
  reply(reply: Uint8Array, requestBytes: number, to: Peer): void {
    if (reply.length <= AMPLIFICATION_FACTOR * requestBytes || this.isProven(to)) {
      this.#options.send(reply, to);
      return;
    }
    this.validate(to);
    const probing = this.#probing.get(key(to));
    if (probing === undefined || this.#heldCount >= MAX_HELD_REPLIES) {
      this.#options.onDropped();
      return;
    }
    probing.held.push(reply);
    this.#heldCount++;
  }

  /**
   * Probes `peer` unless it is proven, failed lately, or too many probes are in flight; `onProven` runs if it
   * answers (the latest one given while the probe is out: one per address).
   */
  validate(peer: Peer, onProven?: () => void): void {
    const address = key(peer);
    if (this.isProven(peer)) return;
    const probing = this.#probing.get(address);
    if (probing !== undefined) {
      if (onProven !== undefined) probing.onProven = onProven;
      return;
    }
    if (this.#probing.size >= MAX_PROBES) return;
    const failed = this.#failed.get(address);
    if (failed !== undefined && this.#now() - failed.at < failed.backoffMs) return;
    const to = { host: peer.host, port: peer.port };
    this.#probing.set(address, { to, held: [], onProven });
    this.probesSent++;
    // After the reply to the request that brought us here has gone: the peer learns first that we answer.
    const probed = new Promise((resolve) => runtime.setTimeout(resolve, 0)).then(() => this.#options.probe(to));
    probed.catch(() => {}).finally(() => {
      const probing = this.#probing.get(address);
      if (probing === undefined) return; // proven: the held replies went out
      this.#probing.delete(address);
      this.#heldCount -= probing.held.length;
      for (const _ of probing.held) this.#options.onDropped();
      const previous = this.#failed.get(address);
      const now = this.#now();
      const inARow = previous !== undefined && now - previous.at <= previous.backoffMs + FAILED_PROBE_MEMORY_MS;
      const backoffMs = inARow ? Math.min(2 * previous.backoffMs, FAILED_PROBE_MEMORY_MS) : PROBE_BACKOFF_MS;
      this.#failed.set(address, { at: now, backoffMs });
    });
  }
}

/** An address being probed: where to, the replies waiting for it, what to do once it answers. */
interface Probing {
  readonly to: Peer;
  readonly held: Uint8Array[];
  onProven: (() => void) | undefined;
}

function key(peer: Peer): string {
  return `${peer.host}:${peer.port}`;
}
