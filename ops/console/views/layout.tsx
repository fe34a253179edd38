/** The console's pages: a shell (header, navigation, token form, the forms of the actions) with no data in it. */
import type { Child } from "hono/jsx";

export type PageName = "overview" | "nodes" | "keys" | "operations";

const NAV: Array<[PageName, string, string]> = [
  ["overview", "/console", "Overview"],
  ["nodes", "/console/nodes", "Nodes"],
  ["keys", "/console/keys", "Key exchanges"],
  ["operations", "/console/operations", "Operations"],
];

export function Layout(props: { page: PageName; title: string; refreshMs: number; children: Child }): Child {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · cqkd console</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
      </head>
      <body data-refresh-ms={String(props.refreshMs)}>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <p class="brand">cqkd console</p>
          <nav aria-label="Console pages">
            <ul>
              {NAV.map(([page, href, label]) => (
                <li>
                  <a href={href} aria-current={page === props.page ? "page" : undefined}>{label}</a>
                </li>
              ))}
            </ul>
          </nav>
          <form id="token-form" aria-label="Admin token">
            <label for="token-input">Admin token</label>
            <input id="token-input" name="token" type="password" autocomplete="off" placeholder="read or write token" />
            <button type="submit">Use</button>
            <button type="button" id="token-forget">Forget</button>
            <span id="token-state" aria-live="polite"></span>
          </form>
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          <p class="status-line" id="refresh-status">Loading…</p>
          {props.children}
        </main>
        <dialog id="confirm-dialog" aria-labelledby="confirm-title">
          <form method="dialog">
            <h2 id="confirm-title">Confirm</h2>
            <p data-confirm-text></p>
            <button value="cancel" type="submit">Cancel</button>{" "}
            <button value="confirm" class="danger" type="submit">
              Confirm
            </button>
          </form>
        </dialog>
        <script src="/console/assets/console.js" defer></script>
      </body>
    </html>
  );
}

/** A region the script fills with the fragment at `src`, again every refresh. */
export function Live(props: { src: string; label: string }): Child {
  return (
    <section data-live={props.src} aria-label={props.label} aria-busy="false">
      <p class="muted">Loading…</p>
    </section>
  );
}

export function OverviewPage({ refreshMs }: { refreshMs: number }): Child {
  return (
    <Layout page="overview" title="Network overview" refreshMs={refreshMs}>
      <Live src="/console/api/overview" label="Network overview" />
    </Layout>
  );
}

export function NodesPage({ refreshMs }: { refreshMs: number }): Child {
  return (
    <Layout page="nodes" title="Nodes" refreshMs={refreshMs}>
      <div class="search">
        <label for="node-search">Search nodes</label>
        <input id="node-search" type="search" data-param="q" placeholder="name, role, host, state, address or id" />
      </div>
      <Live src="/console/api/nodes" label="Nodes" />
    </Layout>
  );
}

export function NodePage({ name, refreshMs }: { name: string; refreshMs: number }): Child {
  return (
    <Layout page="nodes" title={`Node ${name}`} refreshMs={refreshMs}>
      <p>
        <a href="/console/nodes">← All nodes</a>
      </p>
      <Live src={`/console/api/nodes/${encodeURIComponent(name)}`} label={`Node ${name}`} />
    </Layout>
  );
}

/**
 * A form that posts (or GETs) one of the console's actions, with the live region its answer is shown in: the
 * fieldset holds `children`, then the submit button.
 */
function ActionForm(props: {
  action: string;
  legend: Child;
  button: string;
  kind: "primary" | "danger";
  method?: "GET";
  confirm?: string;
  id?: string;
  children?: Child;
}): Child {
  const output = `${props.action}-output`;
  return (
    <>
      <form
        class="action"
        data-action={`/console/api/actions/${props.action}`}
        data-method={props.method}
        data-output={output}
        data-confirm={props.confirm}
        id={props.id}
      >
        <fieldset>
          <legend>{props.legend}</legend>
          {props.children}
          <button type="submit" class={props.kind}>{props.button}</button>
        </fieldset>
      </form>
      <div id={output} aria-live="polite"></div>
    </>
  );
}

export function KeysPage({ refreshMs }: { refreshMs: number }): Child {
  return (
    <Layout page="keys" title="Key exchanges" refreshMs={refreshMs}>
      <ActionForm
        action="keygen"
        id="keygen-form"
        legend="Start a key exchange between Alice and Bob (needs a write token)"
        button="Start key exchange"
        kind="primary"
      >
        <label>
          Key length (bits)
          <input name="bits" type="number" min="1" max="65536" value="256" required />
        </label>
        <label>
          Link noise (0–1)
          <input name="noise" type="number" min="0" max="1" step="0.001" value="0" required />
        </label>
        <label>
          Eavesdropper share (0–1)
          <input name="eve" type="number" min="0" max="1" step="0.01" value="0" required />
        </label>
      </ActionForm>
      <Live src="/console/api/keys" label="Key exchanges" />
    </Layout>
  );
}

export function OperationsPage({ refreshMs, scope }: { refreshMs: number; scope: "cluster" | "node" }): Child {
  const cluster = scope === "cluster";
  return (
    <Layout page="operations" title="Operations" refreshMs={refreshMs}>
      <p class="muted">
        Every action needs a write token and is written to the audit log (<code>cqkd audit</code>) with the token's
        name, as the CLI's procedures are.
      </p>
      <ActionForm action="diagnose" method="GET" legend="Diagnose" button="Run diagnosis" kind="primary">
        <p class="hint">
          {cluster
            ? "Scans the cluster as cqkd emergency detect does: host processes, nodes against the plan, UDP probes, routing tables."
            : "Checks this node: contacts, stale contacts, unhealthy contacts, unanswered RPCs, latency."}
        </p>
      </ActionForm>
      <ActionForm
        action="tune"
        confirm={`Change these parameters live on ${cluster ? "every node of the cluster" : "this node"}?`}
        legend={<>Tune parameters {cluster ? "(every node, as cqkd tune --all)" : "(this node)"}</>}
        button="Tune"
        kind="primary"
      >
        <label>
          Group
          <select name="group">
            <option value="kademlia">kademlia</option>
            <option value="health-check">health-check</option>
            <option value="refresh">refresh</option>
          </select>
        </label>
        <label>
          Values (name=value, space separated)
          <input name="assignments" type="text" placeholder="alpha=5 timeout_ms=3000" size={28} />
        </label>
        <label>
          <span>
            <input name="reset" type="checkbox" /> Reset the group first
          </span>
        </label>
      </ActionForm>
      <ActionForm
        action="isolate"
        confirm={cluster
          ? "Isolate these nodes: out of every routing table and blocked until recover?"
          : "Remove these contacts from the routing table and block them?"}
        legend={<>Isolate {cluster ? "nodes" : "contacts"}</>}
        button="Isolate"
        kind="danger"
      >
        <label>
          {cluster ? "Nodes (names or ids, space separated)" : "Contact ids (40 hex digits, space separated)"}
          <input name="targets" type="text" required size={36} />
        </label>
      </ActionForm>
      <ActionForm
        action="recover"
        confirm={cluster
          ? "Recover the cluster: restart what is down, rejoin and refresh every node, then verify the network?"
          : "Rejoin this node through the fallback list and refresh every bucket?"}
        legend="Recover"
        button="Recover"
        kind="danger"
      >
        <p class="hint">
          {cluster
            ? "As cqkd emergency recover: host processes and nodes that are down start again, every node rejoins and refreshes, then verify network runs."
            : "Rejoins through fallback_bootstrap_nodes and refreshes every bucket."}
        </p>
      </ActionForm>
    </Layout>
  );
}
