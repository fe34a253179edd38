/** The nodes fragment: a searchable, sortable table; each name links to the node's page. */
import type { Child } from "hono/jsx";
import type { NodeRow } from "../source.ts";
import { Health, type HealthState } from "./parts.tsx";

/** Columns the table sorts by, and the value each sorts on. */
export const NODE_SORTS = {
  name: (n: NodeRow) => n.name,
  role: (n: NodeRow) => n.role,
  host: (n: NodeRow) => n.host ?? "",
  state: (n: NodeRow) => n.state,
  contacts: (n: NodeRow) => n.contacts,
  unhealthy: (n: NodeRow) => n.health?.unhealthy ?? 0,
  srtt: (n: NodeRow) => n.rpc?.srttMs ?? -1,
  size: (n: NodeRow) => n.networkSize ?? -1,
} as const;
export type NodeSort = keyof typeof NODE_SORTS;

/** Rows shown at once: a search narrows a big network down. */
export const SHOWN_ROWS = 200;

/** The nodes that match `query` (any word in name, role, host, region, state, address or id), sorted. */
export function selectNodes(nodes: readonly NodeRow[], query: string, sort: NodeSort, descending: boolean): NodeRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const text = (n: NodeRow) => [n.name, n.role, n.host, n.region, n.state, n.address, n.id].join(" ").toLowerCase();
  const key = NODE_SORTS[sort];
  const order = (a: NodeRow, b: NodeRow) => {
    const x = key(a), y = key(b);
    const c = typeof x === "number" && typeof y === "number"
      ? x - y
      : String(x).localeCompare(String(y), "en", { numeric: true });
    return descending ? -c : c;
  };
  return nodes.filter((n) => words.every((w) => text(n).includes(w))).sort(order);
}

function stateHealth(state: string): HealthState {
  return state === "ready" ? "healthy" : state === "failed" || state === "stopped" ? "unhealthy" : "degraded";
}

const COLUMNS: Array<[NodeSort, string]> = [
  ["name", "name"],
  ["role", "role"],
  ["host", "host process"],
  ["state", "state"],
  ["contacts", "contacts"],
  ["unhealthy", "unhealthy contacts"],
  ["srtt", "RTT ms"],
  ["size", "est. size"],
];

export function NodesFragment(
  props: { nodes: readonly NodeRow[]; total: number; sort: NodeSort; descending: boolean },
): Child {
  const shown = props.nodes.slice(0, SHOWN_ROWS);
  return (
    <div>
      <p role="status" data-testid="nodes-count">
        {props.nodes.length} of {props.total} nodes match
        {props.nodes.length > SHOWN_ROWS ? ` (showing the first ${SHOWN_ROWS}: refine the search)` : ""}
      </p>
      <div class="table-wrap">
        <table class="nodes">
          <caption class="visually-hidden">Nodes; the column headers sort the table</caption>
          <thead>
            <tr>
              {COLUMNS.map(([key, label]) => (
                <th
                  scope="col"
                  aria-sort={props.sort === key ? (props.descending ? "descending" : "ascending") : "none"}
                >
                  <button type="button" class="sort" data-sort={key}>
                    {label}
                    <span aria-hidden="true">{props.sort === key ? (props.descending ? " ▼" : " ▲") : ""}</span>
                  </button>
                </th>
              ))}
              <th scope="col">address</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((n) => (
              <tr>
                <td>
                  <a href={`/console/nodes/${encodeURIComponent(n.name)}`}>{n.name}</a>
                </td>
                <td>{n.role}</td>
                <td>{n.host ?? "-"}</td>
                <td>
                  <Health state={stateHealth(n.state)} text={n.state} />
                </td>
                <td class="num">{n.contacts}</td>
                <td class="num">{n.health?.unhealthy ?? "-"}</td>
                <td class="num">{n.rpc?.srttMs ?? "-"}</td>
                <td class="num">{n.networkSize ?? "-"}</td>
                <td>
                  <code>{n.address ?? "-"}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
