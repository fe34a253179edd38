/**
 * Point-to-point messages between protocol nodes over cqkd RPCs: each message is encrypted for its recipient's
 * X25519 key (pair_cipher.ts), split into chunks that fit a datagram, and answered with a reply encrypted back.
 * Nothing travels in clear and nothing goes through the DHT. A chunk without an answer is sent again (a datagram may
 * be lost); the receiver answers a repeated chunk with the reply it gave, so no handler runs twice for one message.
 *
 * Every message names the method, both sides' keys, a timestamp and a random message id, and carries its writer's
 * long-term Ed25519 identity with that identity's signature over the writer's X25519 key (sealed_content.ts); a reply
 * names the message it answers and carries the same proof. Sealed under the pair key, which only the two holders can
 * compute, the receiver learns who sent it (a proven identity, not a claim), a message cannot be redirected to another
 * receiver, and a replayed one is dropped. A peer's X25519 key comes from its public-key answer, signed by its
 * identity, so that no one in between can swap it.
 */
import { equalBytes, toHex } from "../../core/bytes.ts";
import { SigningIdentity } from "../../core/crypto/mod.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import { type Peer, RpcTimeoutError } from "../../core/net/mod.ts";
import { PairCipher } from "./pair_cipher.ts";
import { TransferAssembly, transferKey } from "./transfer_assembly.ts";
import type { RejectReason } from "./rejections.ts";
import {
  type AuthenticMessage,
  bindingBytes,
  isBound,
  messageContent,
  readMessage,
  readReply,
  replyContent,
  type Writer,
} from "./sealed_content.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Name of the RPC that carries sealed chunks. */
export const SEALED_RPC = "cqkd_sealed";
/** Name of the RPC that answers a node's X25519 public key, its identity and their binding signature. */
export const PUBLIC_KEY_RPC = "cqkd_public_key";

const ASSOCIATED = new TextEncoder().encode(SEALED_RPC);
/** Why a delivery's leftover copies are withdrawn once it settled: one shared reason (a new DOMException per
 * message, with its stack, cost 1 % of a key-generating cluster's CPU). */
const SETTLED = new Error("Delivery settled");
const REPLY_ASSOCIATED = new TextEncoder().encode(`${SEALED_RPC} reply`);

/** A node that can receive sealed messages: its address, its X25519 key and the identity that signs for it. */
export interface SealedPeer extends Peer {
  /** The raw 32-byte X25519 public key. */
  readonly key: Uint8Array;
  /** The raw 32-byte Ed25519 public key of the node's identity. */
  readonly identity: Uint8Array;
  /** A role certificate the node presents (see role_certificate.ts), when it has one. */
  readonly certificate?: Uint8Array;
}

/** Serves one sealed method: gets the opened body and the sender (identity proven), returns the reply body. */
export type SealedHandler = (body: unknown, from: SealedPeer) => unknown;

/** Options of {@linkcode SealedMessenger}. */
export interface SealedMessengerOptions {
  /** The identity that signs this node's messages. @default the node's identity (secure mode), else a fresh one */
  identity?: SigningIdentity;
  /** A role certificate to present with the public key. */
  certificate?: Uint8Array;
  /** Largest chunk of sealed bytes per datagram. @default {7000} */
  chunkBytes?: number;
  /** Time to wait for each chunk's answer (the last one waits for the handler, see `request`). @default {2000} */
  timeoutMs?: number;
  /**
   * An incomplete transfer is dropped after this long, a reply is kept this long for repeats, and a message
   * stamped further than this from now is stale. @default {30000}
   */
  transferTtlMs?: number;
  /**
   * A chunk unanswered this long is sent again, at this pace until its timeout (the first answer to any copy counts).
   * @default the node's retransmission timeout (RFC 6298), at least 200 ms
   */
  retryMs?: number;
  /** Bounds on the bytes of unfinished chunked messages, per sender address and in all. @default {32 MiB, 128 MiB} */
  transferBudget?: { maxBytesPerSender?: number; maxBytes?: number };
  /** Told of every message dropped (bad signature, replay…), with a detail for the audit line. */
  onReject?: (reason: RejectReason, detail: string) => void;
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

/** Raised when a reply does not carry the signature of the peer the request went to. */
export class ForgedReplyError extends Error {
  override name = "ForgedReplyError";
  constructor(readonly method: string) {
    super(`Cannot trust the reply to ${method}: it is not signed by the peer's identity`);
  }
}

/**
 * The sealed channel of one node. `request()` seals a body to a peer's key and sends it in chunks; the peer's
 * messenger reassembles, opens, checks who wrote it, runs the handler of the method and seals the reply back.
 *
 * @example
 * ```ts
 * import { KademliaNode } from "../../core/kademlia/mod.ts";
 * import { SealedMessenger } from "./mod.ts";
 * await using a = KademliaNode.start(), b = KademliaNode.start();
 * await using alice = await SealedMessenger.attach(a);
 * await using bob = await SealedMessenger.attach(b);
 * bob.handle("hello", (body) => `hi ${body}`);
 * console.assert(await alice.request(bob.self, "hello", "alice") === "hi alice");
 * ```
 */
export class SealedMessenger {
  readonly #node: KademliaNode;
  readonly #keys: PairCipher;
  readonly #certificate: Uint8Array | undefined;
  /** This messenger's identity and its signature over the X25519 key: the proof every message and reply carries. */
  readonly #writer: Writer;
  readonly #handlers = new Map<string, SealedHandler>();
  readonly #transfers: TransferAssembly;
  /** Replies of the recent messages by transfer key (sender and transfer id), oldest first. */
  readonly #answered = new Map<string, Answered>();
  /** Ids of the messages accepted lately (replay protection), with when they arrived, oldest first. */
  readonly #seen = new Map<string, number>();
  readonly #chunkBytes: number;
  readonly #timeoutMs: number;
  readonly #transferTtlMs: number;
  readonly #retryMs: number | undefined;
  readonly #onReject: (reason: RejectReason, detail: string) => void;
  /** One controller per delivery in flight, which stop() aborts (no dependent signal on a long-lived one). */
  readonly #inFlight = new Set<AbortController>();
  #stopped: Error | undefined;

  private constructor(node: KademliaNode, keys: PairCipher, options: SealedMessengerOptions) {
    this.#node = node;
    this.#keys = keys;
    const identity = options.identity ?? node.identity ?? SigningIdentity.generate();
    this.#certificate = options.certificate;
    this.#writer = { identity: identity.publicKey, binding: identity.sign(bindingBytes(keys.publicKey)) };
    this.#chunkBytes = options.chunkBytes ?? 7000;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#transferTtlMs = options.transferTtlMs ?? 30_000;
    this.#transfers = new TransferAssembly({ ...options.transferBudget, ttlMs: this.#transferTtlMs });
    this.#retryMs = options.retryMs;
    this.#onReject = options.onReject ?? (() => {});
    const answer = [keys.publicKey, identity.publicKey, this.#writer.binding, this.#certificate ?? null];
    node.rpc.register(PUBLIC_KEY_RPC, () => answer);
    node.rpc.register(SEALED_RPC, (args, from) => this.#receive(args, from));
  }

  /** A messenger with a fresh X25519 key pair, registered on `node` (its two RPCs). */
  static async attach(node: KademliaNode, options: SealedMessengerOptions = {}): Promise<SealedMessenger> {
    return new SealedMessenger(node, await PairCipher.generate(), options);
  }

  /** This node as a sealed peer. */
  get self(): SealedPeer {
    return {
      ...this.#node.advertisedAddress,
      key: this.#keys.publicKey,
      identity: this.#writer.identity,
      ...(this.#certificate ? { certificate: this.#certificate } : {}),
    };
  }

  /** Serves `method`. @throws {Error} when it is already served */
  handle(method: string, handler: SealedHandler): void {
    if (this.#handlers.has(method)) throw new Error(`Cannot handle ${method}: it is already handled`);
    this.#handlers.set(method, handler);
  }

  /** Reports a message dropped by a handler's own checks (an unexpected sender, a bad length…). */
  reject(reason: RejectReason, detail: string): void {
    this.#onReject(reason, detail);
  }

  /**
   * Asks a peer for its public key and identity (a liveness check as well). @throws {RpcTimeoutError} when silent
   * @throws {TypeError} when the answer is malformed or its key is not signed by its identity
   */
  async publicKey(peer: Peer, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SealedPeer> {
    const answer = await this.#deliver(peer, PUBLIC_KEY_RPC, [], options.timeoutMs ?? this.#timeoutMs, options.signal);
    const [key, identity, binding, certificate] = Array.isArray(answer) ? answer : [];
    const where = `${peer.host}:${peer.port}`;
    if (
      !(key instanceof Uint8Array) || key.length !== 32 || !(identity instanceof Uint8Array) ||
      !(binding instanceof Uint8Array)
    ) throw new TypeError(`Cannot use the public key of ${where}: expected a key, an identity and a signature`);
    if (!isBound(identity, key, binding)) {
      this.#onReject("bad_signature", `public key of ${where}`);
      throw new TypeError(`Cannot use the public key of ${where}: it is not signed by its identity`);
    }
    return {
      host: peer.host,
      port: peer.port,
      key,
      identity,
      ...(certificate instanceof Uint8Array ? { certificate } : {}),
    };
  }

  /**
   * Sends `body` sealed to `to`; resolves with its reply once it proves to come from `to`'s key and identity.
   * @param options.timeoutMs how long the last chunk waits for the handler's reply
   * @throws {RpcTimeoutError} when a chunk gets no answer in time
   * @throws {RemoteHandlerError} when the peer's handler failed
   * @throws {ForgedReplyError} when the reply is not from `to`
   */
  async request(
    to: SealedPeer,
    method: string,
    body: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const messageId = runtime.randomBytes(new Uint8Array(16));
    const plain = messageContent(this.#writer, {
      method,
      senderKey: this.#keys.publicKey,
      recipientKey: to.key,
      messageId,
      body,
      ...(this.#certificate ? { certificate: this.#certificate } : {}),
    });
    const sealed = await this.#keys.seal(to.key, plain, ASSOCIATED);
    const total = Math.max(1, Math.ceil(sealed.length / this.#chunkBytes));
    const transfer = runtime.randomBytes(new Uint8Array(8));
    const send = (index: number, timeoutMs: number) =>
      this.#deliver(
        to,
        SEALED_RPC,
        [transfer, index, total, sealed.subarray(index * this.#chunkBytes, (index + 1) * this.#chunkBytes)],
        timeoutMs,
        options.signal,
      ).catch((error) => {
        // Named by the sealed method, not by the one RPC that carries every sealed message.
        throw error instanceof RpcTimeoutError ? new RpcTimeoutError(method, to, timeoutMs) : error;
      });
    // Every chunk but the last is acknowledged on arrival; the last one's answer is the sealed reply.
    await Promise.all(Array.from({ length: total - 1 }, (_, i) => send(i, this.#timeoutMs)));
    const answer = await send(total - 1, options.timeoutMs ?? this.#timeoutMs);
    if (!(answer instanceof Uint8Array)) throw new TypeError(`Cannot read the reply to ${method}: expected bytes`);
    const opened = await this.#keys.open(answer, REPLY_ASSOCIATED).catch(() => undefined);
    const reply = opened && equalBytes(opened.sender, to.key)
      ? readReply(opened.plain, opened.sender, to.identity, messageId)
      : undefined;
    if (reply === undefined) {
      this.#onReject("bad_signature", `reply to ${method} from ${to.host}:${to.port}`);
      throw new ForgedReplyError(method);
    }
    if (!reply.ok) throw new RemoteHandlerError(method, String(reply.value));
    return reply.value;
  }

  /** Aborts the requests in flight, withdraws the RPCs, drops incomplete transfers, kept replies and replay memory. */
  stop(): Promise<void> {
    this.#stopped = new Error("Messenger stopped");
    for (const delivery of this.#inFlight) delivery.abort(this.#stopped);
    this.#node.rpc.unregister(SEALED_RPC);
    this.#node.rpc.unregister(PUBLIC_KEY_RPC);
    this.#transfers.clear();
    this.#answered.clear();
    this.#seen.clear();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Sends a request, and copies every retry period until one is answered. @throws {RpcTimeoutError} at timeoutMs */
  async #deliver(peer: Peer, method: string, args: unknown[], timeoutMs: number, signal?: AbortSignal) {
    const retryMs = this.#retryMs ?? Math.max(200, this.#node.transport.rtt.timeoutMs);
    const settled = new AbortController();
    if (this.#stopped) throw this.#stopped;
    this.#inFlight.add(settled);
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
      this.#inFlight.delete(settled);
      settled.abort(SETTLED);
    }
  }

  async #receive(args: unknown[], from: Peer): Promise<unknown> {
    const [transfer, index, total, chunk] = args;
    if (
      !(transfer instanceof Uint8Array) || !(chunk instanceof Uint8Array) || !Number.isInteger(index) ||
      !Number.isInteger(total) || (total as number) < 1 || (total as number) > 4096 || (index as number) < 0 ||
      (index as number) >= (total as number)
    ) return undefined;
    const id = transferKey(from, toHex(transfer));
    const answered = this.#answered.get(id);
    if (answered !== undefined) return index === (total as number) - 1 ? await answered.reply : true;
    const chunked = this.#transfers.add(from, toHex(transfer), index as number, total as number, chunk);
    if (chunked.kind === "over_budget") this.#onReject("over_budget", `a chunk from ${id} dropped: ${chunked.detail}`);
    if (chunked.kind !== "whole") return true;
    const reply = this.#answer(chunked.message, from);
    this.#remember(id, reply);
    // Only an authentic message's reply is kept for its repeats: forged ones must not fill the memory.
    reply.then((answer) => answer === undefined && this.#answered.delete(id), () => this.#answered.delete(id));
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

  /** Opens and checks a whole message, runs its handler, seals the reply (undefined: none, or it failed). */
  async #answer(sealed: Uint8Array, from: Peer): Promise<unknown> {
    const where = `${from.host}:${from.port}`;
    let message: AuthenticMessage | undefined;
    try {
      const opened = await this.#keys.open(sealed, ASSOCIATED);
      // The key that sealed it must be the one it names, bound to its identity: the reply goes to that key.
      message = readMessage(opened.plain, opened.sender);
    } catch {
      message = undefined;
    }
    if (message === undefined) {
      this.#onReject("bad_signature", `message from ${where} that does not prove its sender`);
      return undefined;
    }
    const { method, senderKey, recipientKey, identity, sentAtMs, messageId, body, certificate } = message;
    if (!equalBytes(recipientKey, this.#keys.publicKey)) {
      this.#onReject("wrong_receiver", `${method} from ${where} was meant for another node`);
      return undefined;
    }
    const now = runtime.now();
    if (Math.abs(now - sentAtMs) > this.#transferTtlMs) {
      this.#onReject("replay", `${method} from ${where} stamped ${Math.round((now - sentAtMs) / 1000)} s ago`);
      return undefined;
    }
    const id = toHex(messageId);
    for (const [old, atMs] of this.#seen) {
      if (now - atMs <= 2 * this.#transferTtlMs) break;
      this.#seen.delete(old);
    }
    if (this.#seen.has(id)) {
      this.#onReject("replay", `${method} from ${where} replayed`);
      return undefined;
    }
    this.#seen.set(id, now);
    const handler = this.#handlers.get(method);
    if (handler === undefined) return undefined;
    const sender: SealedPeer = {
      host: from.host,
      port: from.port,
      key: senderKey,
      identity,
      ...(certificate ? { certificate } : {}),
    };
    let reply: [boolean, unknown];
    try {
      reply = [true, await handler(body, sender)];
    } catch (error) {
      reply = [false, (error as Error).message];
    }
    return await this.#keys.seal(senderKey, replyContent(this.#writer, messageId, ...reply), REPLY_ASSOCIATED);
  }
}
