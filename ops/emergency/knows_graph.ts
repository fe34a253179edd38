/** One node's routing table as the partition check reads it: its id and the ids of its contacts. */
export interface TableView {
  name: string;
  id: string;
  contacts: readonly string[];
}

/** How the cluster's nodes know one another. */
export interface KnowsGraph {
  /** Groups of nodes linked by routing-table entries (either way), largest first; names. */
  components: string[][];
  /** Nodes in no other node's routing table: no lookup can reach them. */
  unlisted: string[];
}

/**
 * The "knows" graph of a set of routing tables: node A knows B when B's id is in A's table. Contacts outside the
 * set (clients, nodes of another cluster) are ignored. More than one component is a partition: a lookup started in
 * one never reaches the others.
 */
export function knowsGraph(tables: readonly TableView[]): KnowsGraph {
  const byId = new Map(tables.map((t) => [t.id, t.name]));
  const parent = new Map(tables.map((t) => [t.name, t.name]));
  const root = (name: string): string => {
    let at = name;
    while (parent.get(at) !== at) at = parent.get(at)!;
    parent.set(name, at);
    return at;
  };
  const listed = new Set<string>();
  for (const table of tables) {
    for (const id of table.contacts) {
      const other = byId.get(id);
      if (other === undefined || other === table.name) continue;
      listed.add(other);
      parent.set(root(other), root(table.name));
    }
  }
  const groups = new Map<string, string[]>();
  for (const { name } of tables) groups.set(root(name), [...groups.get(root(name)) ?? [], name]);
  return {
    components: [...groups.values()].sort((a, b) => b.length - a.length),
    unlisted: tables.length > 1 ? tables.filter((t) => !listed.has(t.name)).map((t) => t.name) : [],
  };
}
