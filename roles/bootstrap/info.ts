/** What a bootstrap node tells about itself, as it travels in the cqkd_bootstrap_* RPCs. */
import { isTier, type Tier } from "./tier.ts";

/** A bootstrap node's self-description: a plain msgpack map on the wire. */
export interface BootstrapInfo {
  tier: Tier;
  /** Region label (may be empty). */
  region: string;
  /** Human name, e.g. `regional-3`. */
  name: string;
  /** Node id, 40 hex digits. */
  id: string;
  host: string;
  port: number;
  /** Joiners admitted now. */
  load: number;
  /** Joiners it admits at most. */
  capacity: number;
}

/** Longest region, name or host accepted from a peer. */
const MAX_TEXT = 255;

function isText(value: unknown, allowEmpty: boolean): value is string {
  return typeof value === "string" && value.length <= MAX_TEXT && (allowEmpty || value !== "");
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Reads a {@linkcode BootstrapInfo} received from a peer: a map with exactly the expected field types, copied so
 * that extra fields are not carried along. Returns undefined for anything else.
 */
export function parseInfo(value: unknown): BootstrapInfo | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    return undefined;
  }
  const { tier, region, name, id, host, port, load, capacity } = value as Record<string, unknown>;
  if (!isTier(tier) || !isText(region, true) || !isText(name, true) || !isText(host, false)) return undefined;
  if (typeof id !== "string" || !/^[0-9a-f]{40}$/.test(id)) return undefined;
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) return undefined;
  if (!isCount(load) || !isCount(capacity)) return undefined;
  return { tier, region, name, id, host, port: port as number, load, capacity };
}

/**
 * Reads a list of infos from a peer, skipping bad entries (one bad entry must not spoil the good ones). Returns
 * undefined when `value` is not a list.
 */
export function parseInfoList(value: unknown): BootstrapInfo[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map(parseInfo).filter((info) => info !== undefined);
}
