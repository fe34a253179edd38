/** The kinds of node a cqkd process can run, and what each implies by default. */

export const NODE_ROLES = [
  "super-bootstrap",
  "regional-bootstrap",
  "local-bootstrap",
  "worker",
  "alice",
  "bob",
] as const;

export type NodeRole = typeof NODE_ROLES[number];

/** Default UDP port of each role; 0 lets the system pick (workers get theirs from the port registry). */
export const DEFAULT_PORT: Readonly<Record<NodeRole, number>> = {
  "super-bootstrap": 5678,
  "regional-bootstrap": 5682,
  "local-bootstrap": 5698,
  "worker": 0,
  "alice": 6000,
  "bob": 6001,
};

/** Whether a node of this role may start a network on its own when no bootstrap node answers. */
export function mayRunAlone(role: NodeRole): boolean {
  return role === "super-bootstrap";
}
