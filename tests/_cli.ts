/** Runs the `cqkd` CLI as a user does: a real process, `deno run main.ts …`. */

export const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** What a finished `cqkd` command left. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cqkd ARGS` to completion. */
export async function cqkd(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

/** A `cqkd node` running in the background, read through its `--json` events. */
export class NodeProcess {
  readonly #child: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;
  #buffer = "";

  /**
   * Starts `cqkd node ARGS --json`; with `wrapper` (e.g. `["ip", "netns", "exec", "ns1"]`) the command runs through
   * it, in which case the wrapper must exec the command so that signals reach the node itself.
   */
  constructor(args: string[], wrapper: readonly string[] = []) {
    const command = [Deno.execPath(), "run", "-A", MAIN, "node", ...args, "--json", "--set", "log_level=warn"];
    const [program, ...rest] = [...wrapper, ...command];
    this.#child = new Deno.Command(program!, {
      args: rest,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next JSON event (waits for it). */
  async event(): Promise<Record<string, unknown>> {
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#lines.read();
      if (done) throw new Error(`node exited before its next event (had: ${this.#buffer})`);
      this.#buffer += value;
    }
    const end = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, end);
    this.#buffer = this.#buffer.slice(end + 1);
    return JSON.parse(line);
  }

  /** Sends SIGTERM and waits for the exit status and the final event. */
  async stop(): Promise<{ code: number; last: Record<string, unknown> | undefined }> {
    this.#child.kill("SIGTERM");
    let last;
    try {
      for (;;) last = await this.event();
    } catch { /* stdout closed */ }
    return { code: await this.#reap(), last };
  }

  /** Kills the process at once (SIGKILL: a crash, no goodbye to its peers) and waits for it to end. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* it had ended already */ }
    await this.#reap();
  }

  async #reap(): Promise<number> {
    this.#lines.releaseLock();
    await this.#child.stdout.cancel().catch(() => {});
    return (await this.#child.status).code;
  }
}

/**
 * A super bootstrap node on `port` that starts a network of its own (its only bootstrap address is dead), once it
 * has said so and is ready (its tier service answers): its "listening" event is returned (id, address, admin URL).
 */
export async function loneSuperNode(
  port: number,
  extra: string[] = [],
): Promise<{ node: NodeProcess; listening: Record<string, unknown> }> {
  const args = ["--port", String(port), "--bootstrap", "127.0.0.1:1", "--set", "rpc_timeout=0.3", ...extra];
  const node = new NodeProcess(["super-bootstrap", ...args]);
  const listening = await node.event();
  if (listening.event !== "listening") throw new Error(`Expected a listening event, got ${JSON.stringify(listening)}`);
  for (const expected of ["alone", "ready"]) {
    const event = await node.event();
    if (event.event !== expected) throw new Error(`Expected an ${expected} event, got ${JSON.stringify(event)}`);
  }
  return { node, listening };
}

/** A UDP port on 127.0.0.1 that is free now. */
export function freePort(): number {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  socket.close();
  return (socket.addr as Deno.NetAddr).port;
}

/** `count` consecutive UDP ports below the ephemeral range that are free now. */
export function freePorts(count: number): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const first = 20000 + Math.floor(Math.random() * 12000);
    const held: Deno.DatagramConn[] = [];
    try {
      for (let port = first; port < first + count; port++) {
        held.push(Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }));
      }
      return first;
    } catch {
      continue;
    } finally {
      for (const socket of held) socket.close();
    }
  }
  throw new Error("no free ports");
}
