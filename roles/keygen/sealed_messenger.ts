/**
 * Point-to-point messages between protocol nodes over cqkd RPCs: each message is sealed to its recipient's X25519
 * key (AES-GCM, {@linkcode seal}), split into chunks that fit a datagram, and answered with a reply sealed to the
 * sender's key. Nothing travels in clear and nothing goes through the DHT. A chunk without an answer is sent again
 * (a datagram may be lost); the receiver answers a repeated chunk with the reply it gave, so that no handler runs
 * twice for one message.
 */
import { decode, encode } from "@msgpack/msgpack";
import { NodeKeyPair, seal } from "../../core/crypto/mod.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { Peer } from "../../core/net/mod.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Name of the RPC that carries sealed chunks. */
export const SEALED_RPC = "cqkd_sealed";
/** Name of the RPC that answers a node's raw X25519 public key. */
export const PUBLIC_KEY_RPC = "cqkd_public_key";

const ASSOCIATED = new TextEncoder().encode(SEALED_RPC);
const REPLY_ASSOCIATED = new TextEncoder().encode(`${SEALED_RPC} reply`);

/** A node that can receive sealed messages: its address and public key. */
export interface SealedPeer extends Peer {
  /** The raw 32-byte X25519 public key. */
  readonly key: Uint8Array;
}

/** Serves one sealed method: gets the opened body and the sender, returns the reply body. */
export type SealedHandler = (body: unknown, from: SealedPeer) => unknown;

/** Options of {@linkcode SealedMessenger}. */
export interface SealedMessengerOptions {
  /** Largest chunk of sealed bytes per datagram. @default {7000} */
  chunkBytes?: number;
  /** Time to wait for each chunk's answer (the last one waits for the handler, see `request`). @default {2000} */
  timeoutMs?: number;
  /** An incomplete transfer is dropped after this long, and a reply is kept this long for repeats. @default {30000} */
  transferTtlMs?: number;
  /**
   * A chunk still unanswered after this long is sent again, and again at this pace until its timeout (the copies
   * stay pending: the first answer to any of them counts).
   * @default the node's retransmission timeout (RFC 6298), at least 200 ms
   */
  retryMs?: number;
}

/** Raised when a peer's handler failed: the message is the peer's. */
export class RemoteHandlerError extends Error {
  override name = "RemoteHandlerError";
  constructor(readonly method: string, message: string) {
    super(`${method} failed at the peer: ${message}`);
  }
}

/** A message's reply, kept for the repeats of its chunks. */
interface Answered {
  reply: Promise<unknown>;
  atMs: number;
}

interface Transfer {
  chunks: Array<Uint8Array | undefined>;
  received: number;
  startedMs: number;
}

/**
 * The sealed channel of one node. `request()` seals a body to a peer's key and sends it in chunks; the peer's
 * messenger reassembles, opens, runs the handler of the method and seals the reply back.
 *
 * @example
 * ```ts
 * import { KademliaNode } from "../../core/kademlia/mod.ts";
 * import { SealedMessenger } from "./mod.ts";
 * await using a = KademliaNode.start(), b = KademliaNode.start();
 * const alice = await SealedMessenger.attach(a), bob = await SealedMessenger.attach(b);
 * bob.handle("hello", (body) => `hi ${body}`);
 * console.assert(await alice.request(bob.self, "hello", "alice") === "hi alice");
 * alice.stop();
 * bob.stop();
 * ```
 */
export class SealedMessenger {
  readonly #node: KademliaNode;
  readonly #keys: NodeKeyPair;
  readonly #handlers = new Map<string, SealedHandler>();
  readonly #transfers = new Map<string, Transfer>();
  /** Replies of the recent messages by transfer id, oldest first. */
  readonly #answered = new Map<string, Answered>();
  readonly #chunkBytes: number;
  readonly #timeoutMs: number;
  readonly #transferTtlMs: number;
  readonly #retryMs: number | undefined;

  private constructor(node: KademliaNode, keys: NodeKeyPair, options: SealedMessengerOptions) {
    this.#node = node;
    this.#keys = keys;
    this.#chunkBytes = options.chunkBytes ?? 7000;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#transferTtlMs = options.transferTtlMs ?? 30_000;
    this.#retryMs = options.retryMs;
    node.rpc.register(PUBLIC_KEY_RPC, () => keys.publicKey);
    node.rpc.register(SEALED_RPC, (args, from) => this.#receive(args, from));
  }

  /** A messenger with a fresh key pair, registered on `node` (its two RPCs). */
  static async attach(node: KademliaNode, options: SealedMessengerOptions = {}): Promise<SealedMessenger> {
    return new SealedMessenger(node, await NodeKeyPair.generate(), options);
  }

  /** This node as a sealed peer. */
  get self(): SealedPeer {
    return { ...this.#node.advertisedAddress, key: this.#keys.publicKey };
  }

  /** Serves `method`. @throws {Error} when it is already served */
  handle(method: string, handler: SealedHandler): void {
    if (this.#handlers.has(method)) throw new Error(`Cannot handle ${method}: it is already handled`);
    this.#handlers.set(method, handler);
  }

  /**
   * Asks a peer for its public key (a liveness check as well).
   * @throws {RpcTimeoutError} when it does not answer
   * @throws {TypeError} when the answer is not a 32-byte key
   */
  async publicKey(peer: Peer, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const answer = await this.#deliver(peer, PUBLIC_KEY_RPC, [], options.timeoutMs ?? this.#timeoutMs, options.signal);
    if (!(answer instanceof Uint8Array) || answer.length !== 32) {
      throw new TypeError(`Cannot use the public key of ${peer.host}:${peer.port}: expected 32 bytes`);
    }
    return answer;
  }

  /**
   * Sends `body` sealed to `to` and resolves with its reply.
   *
   * @param options.timeoutMs how long the last chunk waits for the handler's reply
   * @throws {RpcTimeoutError} when a chunk gets no answer in time
   * @throws {RemoteHandlerError} when the peer's handler failed
   */
  async request(
    to: SealedPeer,
    method: string,
    body: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const plain = encode([method, this.#keys.publicKey, body]);
    const sealed = await seal(plain, to.key, { associatedData: ASSOCIATED });
    const total = Math.max(1, Math.ceil(sealed.length / this.#chunkBytes));
    const transfer = runtime.randomBytes(new Uint8Array(8));
    const send = (index: number, timeoutMs: number) =>
      this.#deliver(
        to,
        SEALED_RPC,
        [transfer, index, total, sealed.subarray(index * this.#chunkBytes, (index + 1) * this.#chunkBytes)],
        timeoutMs,
        options.signal,
      );
    // Every chunk but the last is acknowledged on arrival; the last one's answer is the sealed reply.
    await Promise.all(Array.from({ length: total - 1 }, (_, i) => send(i, this.#timeoutMs)));
    const answer = await send(total - 1, options.timeoutMs ?? this.#timeoutMs);
    if (!(answer instanceof Uint8Array)) throw new TypeError(`Cannot read the reply to ${method}: expected bytes`);
    const reply = decode(await this.#keys.open(answer, { associatedData: REPLY_ASSOCIATED }));
    if (!Array.isArray(reply) || reply.length !== 2) throw new TypeError(`Cannot read the reply to ${method}`);
    if (reply[0] !== true) throw new RemoteHandlerError(method, String(reply[1]));
    return reply[1];
  }

  /** Withdraws the RPCs and drops incomplete transfers and kept replies. */
  stop(): void {
    this.#node.rpc.unregister(SEALED_RPC);
    this.#node.rpc.unregister(PUBLIC_KEY_RPC);
    this.#transfers.clear();
    this.#answered.clear();
  }

  /**
   * Sends one request, and copies of it every retry period while none is answered; resolves with the first answer.
   * @throws {RpcTimeoutError} when none is answered within `timeoutMs`
   */
  async #deliver(peer: Peer, method: string, args: unknown[], timeoutMs: number, signal?: AbortSignal) {
    const retryMs = this.#retryMs ?? Math.max(200, this.#node.transport.rtt.timeoutMs);
    const settled = new AbortController();
    const stop = signal ? AbortSignal.any([signal, settled.signal]) : settled.signal;
    const deadline = runtime.monotonic() + timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        let pending = 0;
        const send = () => {
          const remainingMs = deadline - runtime.monotonic();
          pending++;
          this.#node.transport.request(peer, method, args, {
            timeoutMs: Math.max(1, Math.round(remainingMs)),
            signal: stop,
          })
            .then(resolve, (error) => --pending === 0 && reject(error));
          if (remainingMs > retryMs) timer = runtime.setTimeout(send, retryMs);
        };
        send();
      });
    } finally {
      runtime.clearTimeout(timer);
      settled.abort();
    }
  }

  async #receive(args: unknown[], from: Peer): Promise<unknown> {
    const [transfer, index, total, chunk] = args;
    if (
      !(transfer instanceof Uint8Array) || !(chunk instanceof Uint8Array) || !Number.isInteger(index) ||
      !Number.isInteger(total) || (total as number) < 1 || (total as number) > 4096 || (index as number) < 0 ||
      (index as number) >= (total as number)
    ) return undefined;
    const id = Array.from(transfer).join(",");
    const answered = this.#answered.get(id);
    if (answered !== undefined) return index === (total as number) - 1 ? await answered.reply : true;
    const sealed = this.#assemble(id, index as number, total as number, chunk);
    if (sealed === undefined) return true;
    const reply = this.#answer(sealed, from);
    this.#remember(id, reply);
    return await reply;
  }

  /** Keeps a message's reply for the repeats of its chunks, and forgets the replies past the transfer lifetime. */
  #remember(id: string, reply: Promise<unknown>): void {
    const now = runtime.now();
    for (const [old, answered] of this.#answered) {
      if (now - answered.atMs <= this.#transferTtlMs) break;
      this.#answered.delete(old);
    }
    this.#answered.set(id, { reply, atMs: now });
  }

  /** Opens a whole message, runs its handler and seals the reply (`undefined`, no reply, for an unknown method). */
  async #answer(sealed: Uint8Array, from: Peer): Promise<unknown> {
    const [method, senderKey, body] = decode(await this.#keys.open(sealed, { associatedData: ASSOCIATED })) as [
      string,
      Uint8Array,
      unknown,
    ];
    const handler = this.#handlers.get(method);
    if (handler === undefined || !(senderKey instanceof Uint8Array)) return undefined;
    let reply: [boolean, unknown];
    try {
      reply = [true, await handler(body, { host: from.host, port: from.port, key: senderKey })];
    } catch (error) {
      reply = [false, (error as Error).message];
    }
    return await seal(encode(reply), senderKey, { associatedData: REPLY_ASSOCIATED });
  }

  /** Stores a chunk; returns the whole sealed message once every chunk is in. */
  #assemble(id: string, index: number, total: number, chunk: Uint8Array): Uint8Array | undefined {
    if (total === 1) return chunk;
    const now = runtime.now();
    for (const [old, t] of this.#transfers) if (now - t.startedMs > this.#transferTtlMs) this.#transfers.delete(old);
    let entry = this.#transfers.get(id);
    if (entry === undefined) {
      entry = { chunks: new Array(total), received: 0, startedMs: now };
      this.#transfers.set(id, entry);
    }
    if (entry.chunks.length !== total || entry.chunks[index] !== undefined) return undefined;
    entry.chunks[index] = chunk.slice();
    if (++entry.received < total) return undefined;
    this.#transfers.delete(id);
    const whole = new Uint8Array(entry.chunks.reduce((sum, c) => sum + c!.length, 0));
    let at = 0;
    for (const c of entry.chunks) {
      whole.set(c!, at);
      at += c!.length;
    }
    return whole;
  }
}
