/**
 * A legacy-style Python peer (tests/legacy_peer.py) that frames its datagrams as rpcudp does and serializes them
 * with umsgpack, the legacy nodes' own msgpack library, driven by one JSON line per command.
 *
 * The peer runs under /usr/bin/python3 with Debian's python3-u-msgpack; {@linkcode legacyTest} reports a test as
 * ignored, with the reason in its name, where it cannot run.
 */
import assert from "node:assert/strict";
import { formatPeer, type Peer } from "../core/net/peer.ts";

const PYTHON = "/usr/bin/python3";
const PEER_SCRIPT = new URL("./legacy_peer.py", import.meta.url).pathname;
export const LOCALHOST = "127.0.0.1";

/** One JSON answer of the peer. */
export type Answer = Record<string, unknown>;
/** Why the legacy stack cannot run here, or undefined when it can. */
async function legacyStackMissing(): Promise<string | undefined> {
  try {
    const probe = await new Deno.Command(PYTHON, { args: ["-c", "import umsgpack"], stdout: "null", stderr: "null" })
      .output();
    return probe.success ? undefined : `${PYTHON} cannot import umsgpack (apt-get install python3-u-msgpack)`;
  } catch (error) {
    return `${PYTHON} cannot be run: ${(error as Error).message}`;
  }
}

const missing = await legacyStackMissing();
if (missing !== undefined) console.warn(`Legacy interop tests are ignored: ${missing}`);

/** Declares a test that needs the legacy stack: ignored, with the reason, where it is missing. */
export function legacyTest(name: string, fn: () => Promise<void>): void {
  if (missing === undefined) Deno.test({ name, fn });
  else Deno.test({ name: `${name} (ignored: ${missing})`, ignore: true, fn });
}

/** A legacy-style peer process, driven by one JSON line per command on its stdin. */
export class LegacyPeer {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: string[] = [];
  readonly #waiters: Array<(line: string | undefined) => void> = [];
  readonly #reading: Promise<void>;
  #ended = false;
  #closed: Promise<void> | undefined;
  port = 0;
  id = "";

  constructor(args: string[]) {
    this.#child = new Deno.Command(PYTHON, {
      args: ["-u", PEER_SCRIPT, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#reading = this.#readLines();
  }

  get address(): Peer {
    return { host: LOCALHOST, port: this.port };
  }

  get addr(): string {
    return formatPeer(this.address);
  }

  /** Waits for the "ready" line; resolves with it. */
  async ready(): Promise<Answer> {
    const ready = JSON.parse(await this.#nextLine(20_000)) as Answer;
    assert.equal(ready.event, "ready");
    this.port = ready.port as number;
    this.id = ready.id as string;
    return ready;
  }

  /** Sends one command and resolves with its answer. */
  async send(command: Answer, timeoutMs = 20_000): Promise<Answer> {
    await this.#stdin.write(new TextEncoder().encode(JSON.stringify(command) + "\n"));
    return JSON.parse(await this.#nextLine(timeoutMs)) as Answer;
  }

  /** Closes stdin (the peer exits at end of input), kills the process if it lingers, and reaps it. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#stdin.close().catch(() => {});
      const killer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, 3000);
      try {
        await this.#child.status;
      } finally {
        clearTimeout(killer);
      }
      await this.#reading;
    })();
    return this.#closed;
  }

  async #readLines(): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of this.#child.stdout) {
        buffered += decoder.decode(chunk, { stream: true });
        for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const waiter = this.#waiters.shift();
          if (waiter) waiter(line);
          else this.#lines.push(line);
        }
      }
    } finally {
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    }
  }

  #nextLine(timeoutMs: number): Promise<string> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended) return Promise.reject(new Error("The legacy peer exited"));
    return new Promise((resolve, reject) => {
      const waiter = (line: string | undefined) => {
        clearTimeout(timer);
        if (line === undefined) reject(new Error("The legacy peer exited"));
        else resolve(line);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`No answer from the legacy peer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}
