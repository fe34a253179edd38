/** How urgent a finding of `cqkd emergency detect` is; `info` needs no action. */
export type Severity = "critical" | "warning" | "info";

/** The emergency procedure a finding calls for. */
export type Action = "recover" | "isolate" | "fallback" | "none";

/** What `cqkd emergency detect` can find. */
export type FindingKind =
  /** A host process of the cluster is not running: its nodes are gone. */
  | "host-down"
  /** A host process runs but its control API does not answer (hung, or starved). */
  | "host-unresponsive"
  /** Nodes of a tier stopped, failed, or are missing from their host. */
  | "nodes-down"
  /** Every node of a bootstrap tier is down. */
  | "tier-down"
  /** A node its host reports ready does not answer over UDP. */
  | "unreachable"
  /** The routing tables form groups that do not know each other. */
  | "partition"
  /** A node is in no other node's routing table: lookups cannot reach it. */
  | "unlisted"
  /** A bootstrap node holds more joiners than its capacity. */
  | "overloaded"
  | "packet-loss"
  | "latency"
  /** A node an operator isolated (it stays blocked everywhere). */
  | "isolated";

/** One problem found in the cluster, with what to do about it. */
export interface Finding {
  kind: FindingKind;
  severity: Severity;
  /** What it is about: a host process, a tier, or the network. */
  subject: string;
  detail: string;
  action: Action;
  /** The nodes concerned, by name. */
  nodes?: string[];
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Whether any finding calls for action (is not `info`). */
export function needsAction(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity !== "info");
}

/** The findings most urgent first (stable within a severity). */
export function bySeverity(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity]);
}
