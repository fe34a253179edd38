/**
 * Fuzzing a node in each transport mode (plain, secure, secure + legacy compatibility): random and mutated
 * datagrams, plaintext and sealed (real sealed frames flipped, truncated, under wrong key ids, replayed, stale,
 * with a certificate for another address, claiming another id, or with junk inside a valid envelope), while a
 * legitimate client keeps storing and reading values on the node. The node runs in a process of its own
 * (_fuzz_target.ts) so that its RSS is its own. Used by `deno task bench:fuzz` and, smaller, by a test.
 */
import { KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import { encodeRequest, encodeResponse, type Peer } from "../core/net/mod.ts";
import { CLUSTER_KEY_ENV, ClusterKeyring, formatKeyringEnv, SecureEnvelope } from "../core/security/mod.ts";
import { mulberry32 } from "./_prng.ts";
import { newId, SealedPeer } from "./_sealed_peer.ts";
import { randomTools } from "./_random_bytes.ts";

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
  /** Fuzz datagrams between two rounds of legitimate traffic (a store and a find_value). @default {100} */
  batch?: number;
}

/** What a fuzz run did to the node. */
export interface FuzzReport {
  mode: FuzzMode;
  seed: number;
  sent: number;
  sentByKind: Record<string, number>;
  /** Datagrams the node received (legitimate ones included) and sent, over the whole run. */
  received: number;
  answered: number;
  /** Drops by reason (only reasons that occurred). */
  dropped: Record<string, number>;
  legitServed: number;
  legitFailed: number;
  /** The node's RSS before the fuzz, after the warm-up (the first half of the datagrams), and at the end. */
  rssStartMb: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  rssGrowthPct: number;
  /** The node's live JavaScript heap at the same two moments. */
  heapUsedBeforeMb: number;
  heapUsedAfterMb: number;
  /** Handler failures the node logged (there should be none). */
  warnings: number;
  /** Values the node holds at the end (fuzzed stores included). */
  records: number;
}

/** One round of the node's counters, as _fuzz_target.ts prints them. */
interface TargetReport {
  rssBytes: number;
  heapUsedBytes: number;
  datagramsIn: number;
  datagramsOut: number;
  dropped: Record<string, number>;
  records: number;
  warnings: number;
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

  async stop(): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode("stop\n")).catch(() => {});
    await this.#stdin.close().catch(() => {});
    await this.#lines.cancel().catch(() => {});
    await this.#child.status;
  }
}

/** Builds fuzz datagrams: `next()` picks a kind at random and counts it. */
function fuzzer(rand: () => number, insider: SealedPeer, target: Peer, clusterKeyring: ClusterKeyring) {
  const { int, bytes, choose, id } = randomTools(rand);
  const self = insider.identity.nodeId.bytes;
  // Stores go to a few keys: the node's memory is to show leaks, not the values it was rightly asked to keep.
  const keys = Array.from({ length: 16 }, id);
  const frames = () => [
    encodeRequest(newId(), "ping", [self]),
    encodeRequest(newId(), "store", [self, choose(keys), "fuzz-value"]),
    encodeRequest(newId(), "find_node", [self, id()]),
    encodeRequest(newId(), "find_value", [self, id()]),
    encodeRequest(newId(), "stun", []),
    encodeRequest(newId(), "ping", [bytes(19)]),
    encodeRequest(newId(), "no_such_method", [self]),
    encodeResponse(newId(), [[id(), "127.0.0.1", 18002]]),
  ];
  const flipBits = (datagram: Uint8Array) => {
    for (let n = 1 + int(4); n > 0; n--) {
      const at = int(datagram.length);
      datagram[at] = datagram[at]! ^ (1 << int(8));
    }
    return datagram;
  };
  const mutate = (datagram: Uint8Array) => {
    const out = flipBits(datagram.slice());
    return int(4) === 0 ? out.subarray(0, int(out.length)) : out;
  };
  const seal = (frame: Uint8Array) => insider.envelope!.seal(frame, target, insider.address);
  const foreign = new SecureEnvelope({ keyring: ClusterKeyring.generate(), identity: insider.identity });
  const stale = new SecureEnvelope({
    keyring: clusterKeyring,
    identity: insider.identity,
    now: () => Date.now() - 120_000,
  });
  const forger = new SecureEnvelope({ keyring: clusterKeyring, identity: insider.identity });
  const sentValid: Uint8Array[] = [];
  const kinds: Record<string, () => Uint8Array> = {
    random: () => bytes(int(50) === 0 ? 0 : int(2001)),
    short: () => bytes(int(22)),
    legacy: () => choose(frames()),
    "legacy-mutated": () => mutate(choose(frames())),
    oversized: () => bytes(16_385 + int(4000)),
    sealed: () => {
      const datagram = seal(choose(frames()));
      sentValid[int(64)] = datagram;
      return datagram;
    },
    "sealed-junk": () => seal(int(2) === 0 ? mutate(choose(frames())) : bytes(int(300))),
    "sealed-claiming-another-id": () => seal(encodeRequest(newId(), "find_node", [id(), id()])),
    "sealed-flipped": () => flipBits(seal(choose(frames()))),
    "sealed-truncated": () => {
      const datagram = seal(choose(frames()));
      return datagram.subarray(0, int(datagram.length));
    },
    "sealed-wrong-key-id": () => {
      const datagram = seal(choose(frames()));
      datagram.set(bytes(4), 1);
      return datagram;
    },
    "sealed-foreign-key": () => foreign.seal(choose(frames()), target, insider.address),
    "sealed-replayed": () => choose(sentValid.filter(Boolean)) ?? seal(choose(frames())),
    "sealed-stale": () => stale.seal(choose(frames()), target, insider.address),
    "sealed-certificate-for-another-address": () =>
      forger.seal(choose(frames()), target, { host: "127.0.0.1", port: 1 + int(65535) }),
  };
  const names = Object.keys(kinds);
  const counts: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  return {
    counts,
    /** The next datagram, and whether it is plaintext (sent from another socket than the sealed ones). */
    next(): { datagram: Uint8Array; plain: boolean } {
      const name = names[int(names.length)]!;
      counts[name]!++;
      return { datagram: kinds[name]!(), plain: !name.startsWith("sealed") };
    },
  };
}

/** Fuzzes a fresh node in `mode` and reports what happened; the node and every socket are closed at the end. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { mode, datagrams, seed, batch = 100 } = options;
  const keyring = ClusterKeyring.generate();
  const secure = mode !== "plain";
  const target = new Target({
    NO_COLOR: "1",
    ...(secure ? { [CLUSTER_KEY_ENV]: formatKeyringEnv(keyring) } : {}),
    ...(mode === "secure+legacy" ? { FUZZ_LEGACY: "1" } : {}),
  });
  // In plain mode the fuzzer's sealed datagrams are sealed under a key the node does not have (it has none).
  const insider = new SealedPeer({ keyring: secure ? keyring : ClusterKeyring.generate() });
  // Plaintext comes from another address: a peer that proved a key may not fall back to plaintext.
  const legacy = new SealedPeer();
  const client = KademliaNode.start({ rpcTimeoutMs: 500, ...(secure ? { secure: { keyring } } : {}) });
  try {
    const { id, host, port } = await target.line<{ id: string; host: string; port: number }>();
    const contact = { id: NodeId.fromHex(id), host, port };
    let [served, failed] = [0, 0];
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
      else failed += 2;
    };
    const fuzz = fuzzer(mulberry32(seed), insider, contact, keyring);
    // RSS is read at the start, and from the end of a warm-up (the first half of the datagrams) to the end: the
    // heap and the JIT grow to a working size first, whatever the traffic; growth after that is what a leak shows.
    const start = await target.report();
    const warmUp = Math.floor(datagrams / 2);
    let before: TargetReport | undefined;
    let [inBatch, batchBytes] = [0, 0];
    for (let sent = 0; sent < datagrams; sent++) {
      if (sent === warmUp) before = await target.report();
      const { datagram, plain } = fuzz.next();
      await (plain ? legacy : insider).send(datagram, contact);
      batchBytes += datagram.length;
      if (++inBatch >= batch || batchBytes >= 64 * 1024 || sent === datagrams - 1) {
        await legitRound();
        [inBatch, batchBytes] = [0, 0];
      }
    }
    const after = await target.report();
    before ??= after;
    const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
    return {
      mode,
      seed,
      sent: datagrams,
      sentByKind: fuzz.counts,
      received: after.datagramsIn,
      answered: after.datagramsOut,
      dropped: Object.fromEntries(Object.entries(after.dropped).filter(([, n]) => n > 0)),
      legitServed: served,
      legitFailed: failed,
      rssStartMb: mb(start.rssBytes),
      rssBeforeMb: mb(before.rssBytes),
      rssAfterMb: mb(after.rssBytes),
      rssGrowthPct: Math.round((after.rssBytes / before.rssBytes - 1) * 1000) / 10,
      heapUsedBeforeMb: mb(before.heapUsedBytes),
      heapUsedAfterMb: mb(after.heapUsedBytes),
      warnings: after.warnings,
      records: after.records,
    };
  } finally {
    await client.stop();
    await insider.close();
    await legacy.close();
    await target.stop();
  }
}
