import { setTimeout as sleep } from "node:timers/promises";
import type { Settings } from "../core/config/mod.ts";
import type { KademliaNode } from "../core/kademlia/mod.ts";
import { formatPeer, isWildcardHost, type Peer, ResolveError, resolvePeer, RpcTimeoutError } from "../core/net/mod.ts";
import { type ClientOutput, parseAddress, withClient } from "./dht_client.ts";
import { CommandError, EXIT } from "./exit_codes.ts";

/** Options of {@linkcode probeNode}. */
export interface ProbeOptions {
  /** `host:port` of the node's DHT socket. @default the local node: 127.0.0.1 (or a specific bind_host), dht_port */
  address?: string;
  /** Also `GET <url>/health` on the admin API; `true` for the one the settings name. @default no admin check */
  admin?: string | true;
  /** Seconds one attempt may take. @default {2} */
  timeoutS?: number;
  /** Seconds to keep trying before giving up (a node waiting for the tier above it). @default {0} one attempt */
  waitS?: number;
}

/** Pause between two attempts of a waiting probe. */
const RETRY_MS = 250;

/**
 * Probes a node for a health check: a real `stun` RPC to its UDP socket (sealed in secure mode; unlike `ping` it
 * leaves the prober out of the node's routing table, so probing every few seconds adds no contacts), and, with
 * `admin`, a `GET /health` on its admin API. Exit code 0 when the node answers, 1 when it does not (Docker reads
 * 1 as unhealthy), 2 for bad usage.
 * @throws {CommandError} (exit code 2) for a bad address, or no address and no dht_port
 */
export function probeNode(settings: Settings, options: ProbeOptions = {}): Promise<ClientOutput> {
  const { timeoutS = 2, waitS = 0 } = options;
  if (!(timeoutS > 0) || !(waitS >= 0)) {
    throw new CommandError(`Cannot probe with a timeout of ${timeoutS} s and a wait of ${waitS} s`);
  }
  const target = options.address === undefined ? localNode(settings) : parseAddress(options.address);
  const adminUrl = options.admin === true ? localAdmin(settings) : options.admin;
  const context = { settings, timeoutS: waitS + 2 * timeoutS + 1 };
  return withClient(context, async (node, signal) => {
    const deadline = performance.now() + waitS * 1000;
    for (;;) {
      const outcome = await attempt(node, target, timeoutS * 1000, signal);
      if (outcome.ok) return adminUrl === undefined ? outcome.output : await withAdmin(outcome.output, adminUrl);
      if (performance.now() + RETRY_MS > deadline) return outcome.output;
      await sleep(RETRY_MS, undefined, { signal });
    }
  }, false);
}

type Attempt = { ok: boolean; output: ClientOutput };

async function attempt(node: KademliaNode, target: Peer, timeoutMs: number, signal: AbortSignal): Promise<Attempt> {
  const listed = formatPeer(target);
  try {
    const peer = await resolvePeer(target);
    const t0 = performance.now();
    const seen = await node.stun(peer, { timeoutMs, signal });
    const rttMs = Number((performance.now() - t0).toFixed(2));
    return {
      ok: true,
      output: {
        text: `${listed} answers (${rttMs} ms; it sees us at ${formatPeer(seen)})`,
        json: { address: listed, ok: true, rtt_ms: rttMs, seen_as: formatPeer(seen) },
        exitCode: EXIT.ok,
      },
    };
  } catch (error) {
    if (!(error instanceof RpcTimeoutError || error instanceof ResolveError)) throw error;
    const why = error instanceof ResolveError
      ? error.message
      : `no answer from ${listed} within ${timeoutMs / 1000} s: the node is down or not serving`;
    return { ok: false, output: failed(`Node probe failed: ${why}`, { address: listed }) };
  }
}

async function withAdmin(output: ClientOutput, url: string): Promise<ClientOutput> {
  const health = `${url.replace(/\/+$/, "")}/health`;
  let status: number;
  try {
    const response = await fetch(health, { signal: AbortSignal.timeout(2000) });
    status = response.status;
    await response.body?.cancel();
  } catch (error) {
    return failed(`Admin probe failed: GET ${health}: ${(error as Error).message}`, { ...output.json, admin: health });
  }
  if (status !== 200) {
    return failed(`Admin probe failed: GET ${health} answered ${status}`, { ...output.json, admin: health, status });
  }
  return {
    text: `${output.text}; ${health} answers 200`,
    json: { ...output.json, admin: health, admin_status: status },
    exitCode: EXIT.ok,
  };
}

function failed(text: string, json: Record<string, unknown>): ClientOutput {
  return { text, json: { ...json, ok: false, error: text }, exitCode: EXIT.no };
}

/** Where the node of these settings listens, seen from its own host (a wildcard bind is reached on loopback). */
function localHost(bound: string): string {
  return isWildcardHost(bound) ? "127.0.0.1" : bound;
}

function localNode(settings: Settings): Peer {
  if (settings.dht_port === 0) {
    throw new CommandError("Cannot probe the local node: dht_port is 0 (any port); give the address host:port");
  }
  return { host: localHost(settings.bind_host), port: settings.dht_port };
}

function localAdmin(settings: Settings): string {
  if (settings.admin_port === 0) {
    throw new CommandError("Cannot probe the local admin API: admin_port is 0 (any port); give --admin URL");
  }
  return `http://${formatPeer({ host: localHost(settings.admin_host), port: settings.admin_port })}`;
}
