/**
 * Fuzzing a node in each transport mode (plain, secure, secure + legacy compatibility) with the datagrams of
 * _fuzz_kinds.ts, one kind per batch, while a legitimate client keeps storing and reading values on the node. The
 * node runs in a process of its own (_fuzz_target.ts) so that its RSS and CPU time are its own; the fuzz comes from
 * 127.0.0.2, the legitimate client from 127.0.0.1, so that per-source quotas tell them apart. Used by
 * `deno task bench:fuzz` and, smaller, by a test.
 */
import { KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import { CLUSTER_KEY_ENV, ClusterKeyring, formatKeyringEnv } from "../core/security/mod.ts";
import { fuzzKinds } from "./_fuzz_kinds.ts";
import { mulberry32 } from "./_prng.ts";
import { SealedPeer } from "./_sealed_peer.ts";

/** The transport mode of the node under fuzz. */
export type FuzzMode = "plain" | "secure" | "secure+legacy";
export const FUZZ_MODES: readonly FuzzMode[] = ["plain", "secure", "secure+legacy"];

/** Options of {@linkcode runFuzz}. */
export interface FuzzOptions {
  mode: FuzzMode;
  /** Fuzz datagrams to send. */
  datagrams: number;
  /** Seed of the generator, to replay a run. */
  seed: number;
  /** Fuzz datagrams of one kind between two rounds of legitimate traffic (a store and a find_value). @default {100} */
  batch?: number;
  /** Only these kinds of datagram (see _fuzz_kinds.ts). @default every kind */
  kinds?: readonly string[];
}

/** What a fuzz run did to the node. */
export interface FuzzReport {
  mode: FuzzMode;
  seed: number;
  sent: number;
  sentByKind: Record<string, number>;
  /**
   * The node's CPU time per datagram of each kind, in µs: the CPU its batches took, less that of the legitimate
   * round each batch ends with (measured alone first), divided by the datagrams.
   */
  cpuUsPerDatagram: Record<string, number>;
  /** The kind that cost the node the most CPU per datagram. */
  slowestKind: { kind: string; cpuUsPerDatagram: number };
  /** CPU time of one legitimate round (a store and a find_value), in µs. */
  legitRoundCpuUs: number;
  /** Datagrams the node received (legitimate ones included) and sent, over the whole run. */
  received: number;
  answered: number;
  /** Drops by reason (only reasons that occurred). */
  dropped: Record<string, number>;
  legitServed: number;
  legitFailed: number;
  /** Why legitimate rounds failed, by error message. */
  legitFailures: Record<string, number>;
  /**
   * Where datagrams could have been lost: the kernel's drops at the node's and at the legitimate client's socket
   * (full receive buffer; Linux only), and the client's timers that fired late (its process stalled).
   */
  lossSuspects: { nodeSocketDrops?: number; clientSocketDrops?: number; clientLateTimers: number };
  /** The node's RSS before the fuzz, after the warm-up (the first half of the datagrams), and at the end. */
  rssStartMb: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  rssGrowthPct: number;
  /** The node's live JavaScript heap, and the heap V8 holds, at the same two moments. */
  heapUsedBeforeMb: number;
  heapUsedAfterMb: number;
  heapTotalBeforeMb: number;
  heapTotalAfterMb: number;
  /** What the node's state holds at the same two moments (pending requests, replay ids, peers...): none may grow. */
  structuresBefore: Record<string, number>;
  structuresAfter: Record<string, number>;
  /** Requests the node sent of its own (probes, pings, hand-overs), and how many went unanswered. */
  requestsSent: number;
  requestsTimedOut: number;
  /** Handler failures the node logged (there should be none), and the first few of them. */
  warnings: number;
  firstWarnings: string[];
  /** Values the node holds at the end (fuzzed stores included), and the stores it refused by reason. */
  records: number;
  storeRefusals: Record<string, number>;
  /** Hand-overs to new contacts dropped because their queue was full. */
  handOversDropped: number;
  /** The bootstrap service of the node at the end: slots held, directory entries, refusals by reason. */
  bootstrap: { load: number; directory: number; refusals: Record<string, number> };
}

/** One round of the node's counters, as _fuzz_target.ts prints them. */
interface TargetReport {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  cpuUs: number;
  datagramsIn: number;
  datagramsOut: number;
  requestsOut: number;
  timeouts: number;
  structures: Record<string, number>;
  dropped: Record<string, number>;
  records: number;
  storeRefusals: Record<string, number>;
  handOversDropped: number;
  bootstrap: { load: number; directory: number; refusals: Record<string, number> };
  warnings: number;
  firstWarnings: string[];
}

/** The node under fuzz, as a child process. */
class Target {
  readonly #child: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #buffer = "";

  constructor(env: Record<string, string>) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc,--max-semi-space-size=8,--min-semi-space-size=8",
        new URL("./_fuzz_target.ts", import.meta.url).pathname,
      ],
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    this.#stdin = this.#child.stdin.getWriter();
  }

  async line<T>(): Promise<T> {
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#lines.read();
      if (done) throw new Error("The node under fuzz exited");
      this.#buffer += value;
    }
    const end = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, end);
    this.#buffer = this.#buffer.slice(end + 1);
    return JSON.parse(line);
  }

  async report(): Promise<TargetReport> {
    await this.#stdin.write(new TextEncoder().encode("report\n"));
    return await this.line<TargetReport>();
  }

  /** The node's CPU time so far (user and system), in µs. */
  async cpuUs(): Promise<number> {
    await this.#stdin.write(new TextEncoder().encode("cpu\n"));
    return (await this.line<{ cpuUs: number }>()).cpuUs;
  }

  async stop(): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode("stop\n")).catch(() => {});
    await this.#stdin.close().catch(() => {});
    await this.#lines.cancel().catch(() => {});
    await this.#child.status;
  }
}

/** Fuzzes a fresh node in `mode` and reports what happened; the node and every socket are closed at the end. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { mode, datagrams, seed, batch = 100, kinds } = options;
  const keyring = ClusterKeyring.generate();
  const secure = mode !== "plain";
  const target = new Target({
    NO_COLOR: "1",
    ...(secure ? { [CLUSTER_KEY_ENV]: formatKeyringEnv(keyring) } : {}),
    ...(mode === "secure+legacy" ? { FUZZ_LEGACY: "1" } : {}),
  });
  // In plain mode the fuzzer's sealed datagrams are sealed under a key the node does not have (it has none).
  const insider = new SealedPeer({ keyring: secure ? keyring : ClusterKeyring.generate(), hostname: "127.0.0.2" });
  // Plaintext comes from another port: a peer that proved a key may not fall back to plaintext.
  const other = new SealedPeer({ hostname: "127.0.0.2" });
  const client = KademliaNode.start({ rpcTimeoutMs: 500, ...(secure ? { secure: { keyring } } : {}) });
  try {
    const { id, host, port } = await target.line<{ id: string; host: string; port: number }>();
    const contact = { id: NodeId.fromHex(id), host, port };
    let [served, failed] = [0, 0];
    const failures: Record<string, number> = {};
    const legitKeys = Array.from({ length: 8 }, () => NodeId.random());
    let round = 0;
    const legitRound = async () => {
      const key = legitKeys[round++ % legitKeys.length]!;
      const value = `legit-${crypto.randomUUID()}`;
      const outcomes = await Promise.allSettled([
        client.request(contact, "store", [client.id.bytes, key.bytes, value]).then(async (stored) => {
          if (stored !== true) throw new Error("store refused");
          const found = await client.request(contact, "find_value", [client.id.bytes, key.bytes]);
          if ((found as { value?: unknown }).value !== value) throw new Error("wrong value");
        }),
      ]);
      if (outcomes[0]!.status === "fulfilled") served += 2;
      else {
        failed += 2;
        const why = (outcomes[0] as PromiseRejectedResult).reason?.message ?? String(outcomes[0]);
        failures[why] = (failures[why] ?? 0) + 1;
      }
    };
    const fuzz = fuzzKinds(mulberry32(seed), insider, contact, keyring, kinds);
    const sentByKind: Record<string, number> = Object.fromEntries(fuzz.names.map((name) => [name, 0]));
    const cpuByKind: Record<string, number> = Object.fromEntries(fuzz.names.map((name) => [name, 0]));
    // The CPU of a legitimate round alone, to take out of each batch's.
    const baselineRounds = 20;
    const baselineStart = await target.cpuUs();
    for (let i = 0; i < baselineRounds; i++) await legitRound();
    const legitRoundCpuUs = (await target.cpuUs() - baselineStart) / baselineRounds;
    // RSS is read at the start, and from the end of a warm-up (the first half of the datagrams) to the end: the
    // heap and the JIT grow to a working size first, whatever the traffic; growth after that is what a leak shows.
    const start = await target.report();
    const warmUp = Math.floor(datagrams / 2);
    let before: TargetReport | undefined;
    for (let sent = 0; sent < datagrams;) {
      if (before === undefined && sent >= warmUp) before = await target.report();
      const kind = fuzz.pick();
      const cpuBefore = await target.cpuUs();
      let [inBatch, batchBytes] = [0, 0];
      while (inBatch < batch && batchBytes < 64 * 1024 && sent < datagrams) {
        const { datagram, from } = fuzz.kinds[kind]!();
        await (from === "insider" ? insider : other).send(datagram, contact);
        batchBytes += datagram.length;
        inBatch++;
        sent++;
      }
      await legitRound();
      cpuByKind[kind]! += await target.cpuUs() - cpuBefore - legitRoundCpuUs;
      sentByKind[kind]! += inBatch;
    }
    const cpuUsPerDatagram = Object.fromEntries(
      fuzz.names.filter((name) => sentByKind[name]! > 0).map((name) => [
        name,
        Math.round(Math.max(0, cpuByKind[name]!) / sentByKind[name]! * 10) / 10,
      ]),
    );
    const [slowest, slowestUs] = Object.entries(cpuUsPerDatagram).reduce((a, b) => (b[1] > a[1] ? b : a), ["", 0]);
    const after = await target.report();
    before ??= after;
    const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
    return {
      mode,
      seed,
      sent: datagrams,
      sentByKind,
      cpuUsPerDatagram,
      slowestKind: { kind: slowest, cpuUsPerDatagram: slowestUs },
      legitRoundCpuUs: Math.round(legitRoundCpuUs),
      received: after.datagramsIn,
      answered: after.datagramsOut,
      dropped: Object.fromEntries(Object.entries(after.dropped).filter(([, n]) => n > 0)),
      legitServed: served,
      legitFailed: failed,
      legitFailures: failures,
      lossSuspects: {
        ...optional("nodeSocketDrops", socketDrops(contact.port)),
        ...optional("clientSocketDrops", socketDrops(client.address.port)),
        clientLateTimers: client.transport.stats.lateTimers,
      },
      rssStartMb: mb(start.rssBytes),
      rssBeforeMb: mb(before.rssBytes),
      rssAfterMb: mb(after.rssBytes),
      rssGrowthPct: Math.round((after.rssBytes / before.rssBytes - 1) * 1000) / 10,
      heapUsedBeforeMb: mb(before.heapUsedBytes),
      heapUsedAfterMb: mb(after.heapUsedBytes),
      heapTotalBeforeMb: mb(before.heapTotalBytes),
      heapTotalAfterMb: mb(after.heapTotalBytes),
      structuresBefore: before.structures,
      structuresAfter: after.structures,
      requestsSent: after.requestsOut,
      requestsTimedOut: after.timeouts,
      warnings: after.warnings,
      firstWarnings: after.firstWarnings,
      records: after.records,
      storeRefusals: after.storeRefusals,
      handOversDropped: after.handOversDropped,
      bootstrap: after.bootstrap,
    };
  } finally {
    await client.stop();
    await insider.close();
    await other.close();
    await target.stop();
  }
}

/** Datagrams the kernel dropped at the UDP socket bound to `port` (its full receive buffer); Linux only. */
function socketDrops(port: number): number | undefined {
  let table: string;
  try {
    table = Deno.readTextFileSync("/proc/net/udp");
  } catch {
    return undefined;
  }
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  // Columns: sl local_address rem_address st tx:rx tr tm->when retrnsmt uid timeout inode ref pointer drops
  const row = table.split("\n").map((line) => line.trim().split(/\s+/)).find((cols) => cols[1]?.endsWith(local));
  return row === undefined ? undefined : Number(row.at(-1));
}

function optional<K extends string>(key: K, value: number | undefined): { [key in K]?: number } {
  return value === undefined ? {} : { [key]: value } as { [key in K]: number };
}
