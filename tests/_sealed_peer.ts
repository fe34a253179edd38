/**
 * Test and fuzz helper: a bare UDP socket that sends any bytes, and (given the cluster keys) seals legacy frames
 * in the secure envelope as a node would, so that a test can capture, replay, forge or mutate what it sends.
 */
import { toHex } from "../core/bytes.ts";
import { SigningIdentity } from "../core/crypto/mod.ts";
import { decodeFrame, encodeRequest, type Peer } from "../core/net/mod.ts";
import { type ClusterKeyring, SecureEnvelope } from "../core/security/mod.ts";

/** Options of {@linkcode SealedPeer}. */
export interface SealedPeerOptions {
  /** Cluster keys; without them the peer speaks plaintext. */
  keyring?: ClusterKeyring;
  identity?: SigningIdentity;
  /** Clock of the envelope (a stale sender lives in the past). @default {Date.now} */
  now?: () => number;
  /** Address to bind. @default {"127.0.0.1"} */
  hostname?: string;
}

export class SealedPeer {
  readonly conn: Deno.DatagramConn;
  readonly identity: SigningIdentity;
  readonly envelope: SecureEnvelope | undefined;
  /** Requests received (the node's pings, stores...), by method; never answered. */
  readonly requestsIn: Record<string, number> = {};
  /** Frames of every response received, by message id (hex). */
  readonly #waiting = new Map<string, (result: unknown) => void>();
  readonly #loop: Promise<void>;

  constructor(options: SealedPeerOptions = {}) {
    this.conn = Deno.listenDatagram({ transport: "udp", hostname: options.hostname ?? "127.0.0.1", port: 0 });
    this.identity = options.identity ?? SigningIdentity.generate();
    this.envelope = options.keyring &&
      new SecureEnvelope({
        keyring: options.keyring,
        identity: this.identity,
        ...(options.now ? { now: options.now } : {}),
      });
    this.#loop = this.#receive();
  }

  get address(): Peer {
    const addr = this.conn.addr as Deno.NetAddr;
    return { host: addr.hostname, port: addr.port };
  }

  /** A request datagram, sealed for `to` when this peer has keys. */
  request(to: Peer, method: string, args: unknown[], messageId = newId()): Uint8Array {
    const frame = encodeRequest(messageId, method, args);
    return this.envelope ? this.envelope.seal(frame, to, this.address) : frame;
  }

  send(datagram: Uint8Array, to: Peer): Promise<number> {
    return this.conn.send(datagram, { transport: "udp", hostname: to.host, port: to.port });
  }

  /** Sends a request and waits for its answer; undefined when none comes within `timeoutMs`. */
  async call(to: Peer, method: string, args: unknown[], timeoutMs = 500): Promise<unknown> {
    const messageId = newId();
    const answer = this.answerTo(messageId, timeoutMs);
    await this.send(this.request(to, method, args, messageId), to);
    return await answer;
  }

  /** Waits for the answer to the request with `messageId`; undefined when none comes within `timeoutMs`. */
  answerTo(messageId: Uint8Array, timeoutMs = 500): Promise<unknown> {
    const key = toHex(messageId);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.#waiting.set(key, (result) => {
        clearTimeout(timer);
        this.#waiting.delete(key);
        resolve(result);
      });
    });
  }

  async close(): Promise<void> {
    this.conn.close();
    await this.#loop;
  }

  async #receive(): Promise<void> {
    while (true) {
      let datagram: Uint8Array;
      let addr: Deno.Addr;
      try {
        [datagram, addr] = await this.conn.receive();
      } catch {
        return;
      }
      const from = { host: (addr as Deno.NetAddr).hostname, port: (addr as Deno.NetAddr).port };
      const opened = this.envelope ? this.envelope.open(datagram, from) : { frame: datagram };
      if (typeof opened === "string") continue;
      try {
        const frame = decodeFrame(opened.frame);
        if (frame.kind === "response") this.#waiting.get(toHex(frame.messageId))?.(frame.result);
        else this.requestsIn[frame.method] = (this.requestsIn[frame.method] ?? 0) + 1;
      } catch {
        // Junk: this peer only counts what it gets.
      }
    }
  }
}

/** A fresh 20-byte message id. */
export function newId(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(20));
}
