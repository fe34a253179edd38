import { equalBytes, prefix48 } from "../bytes.ts";
import { AddressValidation, PROBE_ATTEMPTS, PROBE_TIMEOUT_MS } from "./address_validation.ts";
import { stallAwareTimeout } from "./stall_aware_timeout.ts";
import type { DatagramEnvelope, Sender } from "./envelope.ts";
import { type FaultInjectionOptions, FaultInjector } from "./fault_injection.ts";
import { formatPeer, type Peer } from "./peer.ts";
import {
  BlockedPeerError,
  ForgedIdentityError,
  RpcArgumentError,
  RpcTimeoutError,
  TransportClosedError,
} from "./rpc_errors.ts";
import type { RpcRegistry } from "./rpc_registry.ts";
import { LatencyWindow } from "./latency_window.ts";
import { RttEstimator } from "./rtt_estimator.ts";
import { TransportStats } from "./stats.ts";
import { decodeFrame, encodeRequest, encodeResponse, MalformedFrameError, newMessageId } from "./wire.ts";
import { type DatagramSocket, runtime } from "../runtime/mod.ts";

/** Options of {@linkcode UdpTransport.listen}. */
export interface UdpTransportOptions {
  /** Address to bind. @default {"127.0.0.1"} */
  hostname?: string;
  /** Port to bind; 0 lets the system pick. @default {0} */
  port?: number;
  /** Largest datagram accepted; larger ones are dropped as oversized. @default {16384} */
  maxDatagramBytes?: number;
  /** Called for every well-formed response-less event worth logging; silent by default. */
  onWarning?: (message: string) => void;
  /** Called once per request this transport sent, when it settles (what the RPC metrics count). */
  onRequestSettled?: (event: RequestSettledEvent) => void;
  /** Called when a request timer fires late, with how late (ms): this process was stalled that long. */
  onStall?: (lateMs: number) => void;
  /**
   * Secure mode: every datagram is sealed and opened by this envelope. Without one the transport speaks the legacy
   * frame byte for byte. @default none
   */
  envelope?: DatagramEnvelope;
  /** Testing aid: loss and delay added to outgoing datagrams (drops count in `stats.injectedDrops`). @default none */
  faults?: FaultInjectionOptions;
  /**
   * Address validation of plaintext senders (see address_validation.ts): a reply more than 3× larger than its
   * request waits until the sender's address has answered a request of ours (else a `stun` probe). @default {true}
   */
  validateAddresses?: boolean;
}

/** How a request ended: answered, timed out, aborted by its signal, or failed (send error, transport closed). */
export type RequestOutcome = "ok" | "timeout" | "error" | "aborted";

/** A request that settled, as reported to {@linkcode UdpTransportOptions.onRequestSettled}. */
export interface RequestSettledEvent {
  readonly method: string;
  readonly peer: Peer;
  readonly outcome: RequestOutcome;
  /** Milliseconds from sending to settling. */
  readonly elapsedMs: number;
}

/** Options of one request. */
export interface RequestOptions {
  /** Time to wait for the answer. @default {5000} */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** What the request is for (e.g. "refresh", "health"); counted in `stats.requestsByPurpose`. */
  purpose?: string;
}

interface Pending {
  messageId: Uint8Array;
  method: string;
  peer: Peer;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  cancelTimer: () => void;
}

const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

/**
 * One UDP socket speaking the legacy frame: requests are correlated with responses by message id, each with its
 * own timeout, and incoming requests are served from an {@linkcode RpcRegistry}. No datagram can throw out of the
 * receive loop: malformed, unsolicited or oversized ones are dropped and counted in {@linkcode stats}.
 */
export class UdpTransport {
  readonly stats = new TransportStats();
  /** Round trips of the answered requests: what the health checks' timeouts stretch by when this process is slow. */
  readonly rtt = new RttEstimator();
  /** The round trips of the last answered requests, for latency percentiles. */
  readonly latency = new LatencyWindow();
  readonly #conn: DatagramSocket;
  readonly #registry: RpcRegistry;
  readonly #maxDatagramBytes: number;
  /** Keyed by the first 6 bytes of the message id (an exact float); the full id is checked on arrival. */
  readonly #pending = new Map<number, Pending>();
  readonly #onWarning: (message: string) => void;
  readonly #onRequestSettled: ((event: RequestSettledEvent) => void) | undefined;
  readonly #onStall: ((lateMs: number) => void) | undefined;
  readonly #envelope: DatagramEnvelope | undefined;
  readonly #faults: FaultInjector | undefined;
  readonly #validation: AddressValidation | undefined;
  /** The bound address, read once: the envelope's certificate names it. */
  readonly #self: Peer;
  readonly #loop: Promise<void>;
  #closed = false;

  private constructor(conn: DatagramSocket, registry: RpcRegistry, options: UdpTransportOptions) {
    this.#conn = conn;
    this.#registry = registry;
    this.#maxDatagramBytes = options.maxDatagramBytes ?? 16384;
    this.#onWarning = options.onWarning ?? (() => {});
    this.#onRequestSettled = options.onRequestSettled;
    this.#onStall = options.onStall;
    this.#envelope = options.envelope;
    this.#faults = FaultInjector.from(options.faults);
    this.#validation = options.validateAddresses === false ? undefined : new AddressValidation({
      probe: async (peer) => {
        for (let attempt = 1;; attempt++) {
          try {
            const timeoutMs = PROBE_TIMEOUT_MS / PROBE_ATTEMPTS;
            return await this.request(peer, "stun", [], { purpose: "validation", timeoutMs });
          } catch (error) {
            if (attempt >= PROBE_ATTEMPTS || !(error instanceof RpcTimeoutError)) throw error;
          }
        }
      },
      send: (datagram, to) => this.#send(datagram, to).catch(() => {}),
      onDropped: () => this.stats.dropped["unverified-reply"]++,
    });
    const addr = conn.addr as Deno.NetAddr;
    this.#self = { host: addr.hostname, port: addr.port };
    this.#loop = this.#receiveLoop();
  }

  /** Binds a socket and starts serving `registry`. @throws {Deno.errors.AddrInUse} when the port is taken */
  static listen(registry: RpcRegistry, options: UdpTransportOptions = {}): UdpTransport {
    const conn = runtime.listenDatagram({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 0,
    });
    return new UdpTransport(conn, registry, options);
  }

  /** The bound address. */
  get address(): Peer {
    return { ...this.#self };
  }

  /** Whether datagrams are sealed in an envelope (secure mode). */
  get secure(): boolean {
    return this.#envelope !== undefined;
  }

  /**
   * Whether `peer` has proven it owns node id `id`: always in plain mode; in secure mode only once a datagram
   * from it carried a valid proof (or it is a configured legacy peer, in legacy compatibility mode).
   */
  proves(peer: Peer, id: Uint8Array): boolean {
    return this.#envelope === undefined || this.#envelope.vouches(peer, id);
  }

  /**
   * Whether `peer` is known to receive at its address (it answered a request of ours), so that it may become a
   * contact: always in secure mode (its datagrams are authenticated) and without address validation.
   */
  reaches(peer: Peer): boolean {
    return this.#envelope !== undefined || this.#validation === undefined || this.#validation.isProven(peer);
  }

  /** Address-validation probes in flight: new requesters that are not contacts yet. */
  get probing(): number {
    return this.#validation?.probing ?? 0;
  }

  /**
   * Probes `peer` with a `stun` unless it is proven, being probed or failed lately (see
   * {@linkcode UdpTransportOptions.validateAddresses}); `onProven` runs if it answers.
   */
  validate(peer: Peer, onProven?: () => void): void {
    this.#validation?.validate(peer, onProven);
  }

  /** Requests still waiting for an answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends a request and resolves with the peer's response value.
   * @throws {RpcTimeoutError} when no answer comes in time
   * @throws {FrameTooLargeError} when the request exceeds the legacy payload limit
   */
  request(peer: Peer, method: string, args: readonly unknown[], options: RequestOptions = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new TransportClosedError());
    let messageId = newMessageId();
    while (this.#pending.has(prefix48(messageId))) messageId = newMessageId();
    let datagram: Uint8Array;
    try {
      datagram = encodeRequest(messageId, method, args);
      if (this.#envelope !== undefined) datagram = this.#envelope.seal(datagram, peer, this.#self);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = prefix48(messageId);
    const timeoutMs = options.timeoutMs ?? 5000;
    const { signal } = options;
    const sentAt = runtime.monotonic();
    return new Promise((resolve, reject) => {
      let settled = false;
      /** Settles the request once (a send error may follow the answer); false when it was settled already. */
      const finish = (outcome: RequestOutcome): boolean => {
        if (settled) return false;
        settled = true;
        entry.cancelTimer();
        this.#pending.delete(key);
        signal?.removeEventListener("abort", onAbort);
        this.#onRequestSettled?.({ method, peer, outcome, elapsedMs: runtime.monotonic() - sentAt });
        return true;
      };
      const onAbort = () => {
        if (finish("aborted")) reject(signal!.reason);
      };
      const entry: Pending = {
        messageId,
        method,
        peer,
        resolve: (value) => {
          if (!finish("ok")) return;
          const rttMs = runtime.monotonic() - sentAt;
          this.rtt.sample(rttMs);
          this.latency.sample(rttMs);
          resolve(value);
        },
        reject: (reason) => {
          if (finish(reason instanceof RpcTimeoutError ? "timeout" : "error")) reject(reason);
        },
        cancelTimer: stallAwareTimeout(timeoutMs, () => {
          this.stats.timeouts++;
          this.#envelope?.peerSilent(peer);
          entry.reject(new RpcTimeoutError(method, peer, timeoutMs));
        }, (lateMs) => {
          this.stats.lateTimers++;
          this.#onStall?.(lateMs);
        }),
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(key, entry);
      this.stats.requestsOut++;
      if (options.purpose !== undefined) {
        this.stats.requestsByPurpose[options.purpose] = (this.stats.requestsByPurpose[options.purpose] ?? 0) + 1;
      }
      this.#send(datagram, peer).catch((error) => entry.reject(error));
    });
  }

  /** Closes the socket and fails every pending request. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#faults?.close();
    for (const entry of [...this.#pending.values()]) entry.reject(new TransportClosedError());
    this.#conn.close();
    await this.#loop;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #send(datagram: Uint8Array, peer: Peer): Promise<void> {
    if (this.#faults !== undefined) {
      const fate = this.#faults.fate();
      if (fate === "drop") {
        this.stats.injectedDrops++;
        return;
      }
      if (fate > 0 && !await this.#faults.hold(fate)) return;
    }
    try {
      await this.#conn.send(datagram, { transport: "udp", hostname: peer.host, port: peer.port });
      this.stats.datagramsOut++;
    } catch (error) {
      this.stats.sendErrors++;
      throw error;
    }
  }

  async #receiveLoop(): Promise<void> {
    // One byte more than the limit, so that a datagram filling the buffer is known to be oversized.
    const buffer = new Uint8Array(this.#maxDatagramBytes + 1);
    while (!this.#closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await this.#conn.receive(buffer);
      } catch (error) {
        if (this.#closed) return;
        this.#onWarning(`Receive failed on ${formatPeer(this.address)}: ${(error as Error).message}`);
        continue;
      }
      const [view, addr] = received;
      this.stats.datagramsIn++;
      if (view.length > this.#maxDatagramBytes) {
        this.stats.dropped.oversized++;
        continue;
      }
      const from = { host: (addr as Deno.NetAddr).hostname, port: (addr as Deno.NetAddr).port };
      this.#dispatch(view.slice(), from);
    }
  }

  #dispatch(datagram: Uint8Array, from: Peer): void {
    const requestBytes = datagram.length;
    let sender: Sender = from;
    let plain = true;
    if (this.#envelope !== undefined) {
      const opened = this.#envelope.open(datagram, from);
      if (typeof opened === "string") {
        this.stats.dropped[opened]++;
        return;
      }
      datagram = opened.frame;
      plain = opened.plain;
      if (opened.senderId !== undefined) sender = { ...from, provenId: opened.senderId };
    }
    let frame;
    try {
      frame = decodeFrame(datagram);
    } catch (error) {
      if (!(error instanceof MalformedFrameError)) throw error;
      this.stats.dropped[error.reason]++;
      return;
    }
    if (frame.kind === "response") {
      const entry = this.#pending.get(prefix48(frame.messageId));
      if (entry === undefined || !equalBytes(entry.messageId, frame.messageId)) {
        this.stats.dropped.unsolicited++;
      } else if (!sameSender(entry.peer, from)) {
        this.stats.dropped["wrong-sender"]++;
      } else {
        this.stats.responsesIn++;
        this.#validation?.proven(from);
        entry.resolve(frame.result);
      }
      return;
    }
    this.stats.requestsIn++;
    const handler = this.#registry.get(frame.method);
    if (handler === undefined) {
      // Legacy nodes never answer an unknown method; neither does cqkd, so the two behave alike to a caller.
      this.stats.dropped["unknown-method"]++;
      return;
    }
    const messageId = frame.messageId;
    Promise.try(handler, frame.args, sender).then(
      (result) => this.#reply(messageId, result, from, plain, requestBytes),
      (error) => {
        if (error instanceof RpcArgumentError) {
          this.stats.dropped["bad-arguments"]++;
        } else if (error instanceof ForgedIdentityError) {
          this.stats.dropped["forged-id"]++;
        } else if (error instanceof BlockedPeerError) {
          this.stats.dropped.blocked++;
        } else {
          this.stats.dropped["handler-error"]++;
          this.#onWarning(`Handler of ${frame.method} failed: ${(error as Error).message}`);
        }
      },
    );
  }

  /** Answers a request, sealed unless it came as legacy plaintext (then subject to address validation). */
  #reply(messageId: Uint8Array, result: unknown, to: Peer, plain: boolean, requestBytes: number): void {
    if (this.#closed) return;
    let datagram: Uint8Array;
    try {
      datagram = encodeResponse(messageId, result);
      if (!plain) datagram = this.#envelope!.seal(datagram, to, this.#self);
    } catch (error) {
      this.stats.dropped["handler-error"]++;
      this.#onWarning(`Cannot encode a response: ${(error as Error).message}`);
      return;
    }
    if (datagram.length > this.#maxDatagramBytes) {
      this.stats.dropped["response-too-large"]++;
      return;
    }
    if (plain && this.#validation !== undefined) this.#validation.reply(datagram, requestBytes, to);
    else this.#send(datagram, to).catch(() => {});
  }
}

/** A response must come from where the request went; host names (not IP literals) cannot be compared. */
function sameSender(sentTo: Peer, from: Peer): boolean {
  if (sentTo.port !== from.port) return false;
  return !IP_LITERAL.test(sentTo.host) || sentTo.host === from.host;
}
