/**
 * The authenticated classical channel of one session between Alice and Bob. Each message goes through the sealed
 * messenger (signed by the sender's identity, bound to the receiver and the method, i.e. the message kind) and
 * carries the session id and a sequence number; the receiver accepts it only from the session's peer identity and
 * only with a sequence number above the last one it accepted. So a message is bound to (session, sender,
 * receiver, kind, seq), and one that fails is dropped, reported and refused.
 */
import { equalBytes, toHex } from "../../core/bytes.ts";
import { fields } from "./messages.ts";
import { RejectedMessageError } from "./rejections.ts";
import type { SealedMessenger, SealedPeer } from "./sealed_messenger.ts";

/**
 * One side's end of a session's channel.
 *
 * @example
 * ```ts ignore
 * const channel = new SessionChannel(messenger, "0123456789abcdef", bob);
 * await channel.request("session_sample", { round: 0 });
 * ```
 */
export class SessionChannel {
  #sent = 0;
  #received = 0;

  /**
   * @param answerTimeoutMs how long a request waits for the peer's answer unless it says otherwise: the peer may
   * compute over a whole round or key before answering (the messenger's default)
   */
  constructor(
    readonly messenger: SealedMessenger,
    readonly session: string,
    readonly peer: SealedPeer,
    readonly answerTimeoutMs?: number,
  ) {}

  /** Sends the next message of the session to the peer. */
  request(
    method: string,
    body: Record<string, unknown>,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? this.answerTimeoutMs;
    const message = { ...body, session: this.session, seq: ++this.#sent };
    return this.messenger.request(this.peer, method, message, { ...options, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  /**
   * The fields of a message received on this session, once its sender and sequence number check out.
   * @throws {RejectedMessageError} when it comes from another identity or out of sequence (reported as dropped)
   */
  accept(method: string, body: unknown, from: SealedPeer): Record<string, unknown> {
    const message = fields(body, method);
    if (!equalBytes(from.identity, this.peer.identity)) {
      return this.#refuse(
        "unexpected_sender",
        `${method} of session ${this.session} from ${toHex(from.identity).slice(0, 16)}…, not the session's peer`,
      );
    }
    const seq = message.seq;
    if (!Number.isSafeInteger(seq) || (seq as number) <= this.#received) {
      return this.#refuse("out_of_order", `${method} of session ${this.session} with seq ${seq} ≤ ${this.#received}`);
    }
    this.#received = seq as number;
    return message;
  }

  #refuse(reason: "unexpected_sender" | "out_of_order", detail: string): never {
    this.messenger.reject(reason, detail);
    throw new RejectedMessageError(reason, `Cannot accept ${detail}`);
  }
}
