/**
 * Reassembly of the chunked messages of a {@linkcode SealedMessenger}, bounded per sender and in all: a sender names
 * its transfers, so a transfer is kept under (sender address, transfer id) and one sender can neither complete nor
 * spoil another's; the bytes of unfinished transfers are capped per sender and per node, so that chunks nobody
 * finishes cannot fill the memory (they are dropped after the transfer lifetime).
 *
 * @module
 */
import { runtime } from "../../core/runtime/mod.ts";
import type { Peer } from "../../core/net/mod.ts";

/** Limits of {@linkcode TransferAssembly}. */
export interface TransferLimits {
  /** An unfinished transfer is dropped this long after its first chunk. */
  ttlMs: number;
  /** Most bytes of unfinished transfers one sender address may have buffered. @default {32 MiB} */
  maxBytesPerSender?: number;
  /** Most bytes of unfinished transfers buffered in all. @default {128 MiB} */
  maxBytes?: number;
}

interface Transfer {
  sender: string;
  chunks: Array<Uint8Array | undefined>;
  received: number;
  bytes: number;
  startedMs: number;
}

/** What {@linkcode TransferAssembly.add} made of a chunk. */
export type ChunkOutcome =
  | { kind: "whole"; message: Uint8Array }
  | { kind: "partial" }
  | { kind: "over_budget"; detail: string };

/** The unfinished transfers of one messenger. */
export class TransferAssembly {
  readonly #limits: Required<TransferLimits>;
  /** By transfer key, oldest first. */
  readonly #transfers = new Map<string, Transfer>();
  readonly #bytesBySender = new Map<string, number>();
  #bytes = 0;

  constructor(limits: TransferLimits) {
    this.#limits = { maxBytesPerSender: 32 * 2 ** 20, maxBytes: 128 * 2 ** 20, ...limits };
  }

  /** Bytes buffered in unfinished transfers. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** Stores chunk `index` of `total` of transfer `id` from `from`; the whole message once every chunk is in. */
  add(from: Peer, id: string, index: number, total: number, chunk: Uint8Array): ChunkOutcome {
    if (total === 1) return { kind: "whole", message: chunk };
    this.#expire(runtime.now());
    const sender = senderOf(from);
    const key = transferKey(from, id);
    let entry = this.#transfers.get(key);
    if (entry !== undefined && (entry.chunks.length !== total || entry.chunks[index] !== undefined)) {
      return { kind: "partial" };
    }
    const senderBytes = this.#bytesBySender.get(sender) ?? 0;
    if (senderBytes + chunk.length > this.#limits.maxBytesPerSender) {
      return { kind: "over_budget", detail: `${sender} has ${senderBytes} bytes of unfinished messages` };
    }
    if (this.#bytes + chunk.length > this.#limits.maxBytes) {
      return { kind: "over_budget", detail: `${this.#bytes} bytes of unfinished messages are buffered` };
    }
    if (entry === undefined) {
      entry = { sender, chunks: new Array(total), received: 0, bytes: 0, startedMs: runtime.now() };
      this.#transfers.set(key, entry);
    }
    entry.chunks[index] = chunk.slice();
    this.#account(entry, chunk.length);
    if (++entry.received < total) return { kind: "partial" };
    this.#drop(key, entry);
    const whole = new Uint8Array(entry.chunks.reduce((sum, c) => sum + c!.length, 0));
    let at = 0;
    for (const c of entry.chunks) {
      whole.set(c!, at);
      at += c!.length;
    }
    return { kind: "whole", message: whole };
  }

  /** Forgets every unfinished transfer. */
  clear(): void {
    this.#transfers.clear();
    this.#bytesBySender.clear();
    this.#bytes = 0;
  }

  #expire(now: number): void {
    for (const [key, transfer] of this.#transfers) {
      if (now - transfer.startedMs <= this.#limits.ttlMs) break;
      this.#drop(key, transfer);
    }
  }

  #drop(key: string, transfer: Transfer): void {
    this.#transfers.delete(key);
    this.#account(transfer, -transfer.bytes);
  }

  #account(transfer: Transfer, bytes: number): void {
    transfer.bytes += bytes;
    this.#bytes += bytes;
    const left = (this.#bytesBySender.get(transfer.sender) ?? 0) + bytes;
    if (left > 0) this.#bytesBySender.set(transfer.sender, left);
    else this.#bytesBySender.delete(transfer.sender);
  }
}

/** The key of a transfer: its sender's address and the id the sender gave it. */
export function transferKey(from: Peer, id: string): string {
  return `${senderOf(from)}/${id}`;
}

function senderOf(from: Peer): string {
  return `${from.host}:${from.port}`;
}
