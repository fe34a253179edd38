import type { EnvelopeDropReason } from "./envelope.ts";

/** Why an incoming datagram was dropped. */
export type DropReason =
  | EnvelopeDropReason
  | "short"
  | "unknown-kind"
  | "too-deep"
  | "msgpack"
  | "shape"
  | "oversized"
  | "unsolicited"
  | "wrong-sender"
  | "unknown-method"
  | "bad-arguments"
  | "handler-error"
  | "response-too-large"
  | "unverified-reply"
  | "blocked";

/** The main request counters of a transport, as a node's status and diagnosis report them. */
export interface RequestCounters {
  requestsOut: number;
  requestsIn: number;
  responsesIn: number;
  timeouts: number;
  /** Incoming datagrams dropped, for any reason. */
  dropped: number;
}

/** Counters of one transport; plain numbers so that a host can sum them cheaply over many nodes. */
export class TransportStats {
  datagramsIn = 0;
  datagramsOut = 0;
  requestsIn = 0;
  requestsOut = 0;
  responsesIn = 0;
  timeouts = 0;
  /** Request timers that fired late enough (the process stalled) to be given a second look before timing out. */
  lateTimers = 0;
  sendErrors = 0;
  /** Outgoing datagrams dropped on purpose by the fault-injection testing aid (`fault_drop_probability`). */
  injectedDrops = 0;
  /** Requests sent with a purpose tag, by tag: how refresh or health traffic compares with all of `requestsOut`. */
  readonly requestsByPurpose: Record<string, number> = {};
  readonly dropped: Record<DropReason, number> = {
    "short": 0,
    "unknown-kind": 0,
    "too-deep": 0,
    "msgpack": 0,
    "shape": 0,
    "oversized": 0,
    "unsolicited": 0,
    "wrong-sender": 0,
    "unknown-method": 0,
    "bad-arguments": 0,
    "handler-error": 0,
    "response-too-large": 0,
    "unverified-reply": 0,
    "blocked": 0,
    "no-envelope": 0,
    "unknown-key": 0,
    "unauthentic": 0,
    "stale": 0,
    "replayed": 0,
    "forged-id": 0,
    "unproven": 0,
  };

  /** Adds the counters of `other` to these (a host sums its nodes, and keeps the totals of stopped ones). */
  add(other: TransportStats): this {
    this.datagramsIn += other.datagramsIn;
    this.datagramsOut += other.datagramsOut;
    this.requestsIn += other.requestsIn;
    this.requestsOut += other.requestsOut;
    this.responsesIn += other.responsesIn;
    this.timeouts += other.timeouts;
    this.lateTimers += other.lateTimers;
    this.sendErrors += other.sendErrors;
    this.injectedDrops += other.injectedDrops;
    for (const [purpose, n] of Object.entries(other.requestsByPurpose)) {
      this.requestsByPurpose[purpose] = (this.requestsByPurpose[purpose] ?? 0) + n;
    }
    for (const reason of Object.keys(other.dropped) as DropReason[]) this.dropped[reason] += other.dropped[reason];
    return this;
  }

  /** The main request counters, as a plain object. */
  requests(): RequestCounters {
    const { requestsOut, requestsIn, responsesIn, timeouts } = this;
    return { requestsOut, requestsIn, responsesIn, timeouts, dropped: this.droppedTotal };
  }

  /** Total of the dropped counters. */
  get droppedTotal(): number {
    return Object.values(this.dropped).reduce((a, b) => a + b, 0);
  }
}
