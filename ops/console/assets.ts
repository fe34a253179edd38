/**
 * The console's stylesheet and script, as strings in the code so that `deno task compile` carries them. The script
 * only fetches server-rendered fragments (with the token the user gave, kept in the tab's sessionStorage), swaps
 * them in, and sends the forms of the actions after a confirmation dialog.
 */

export const CONSOLE_CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; --ok: #17692f;
  --ok-bg: #dafbe1; --warn: #8a5300; --warn-bg: #fff8c5; --bad: #b42318; --bad-bg: #ffebe9; --link: #0a58ca; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
a { color: var(--link); }
:focus-visible { outline: 3px solid #0a58ca; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 9; }
header { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; padding: 10px 20px; background: #24292f; color: #fff; }
header .brand { font-weight: 700; font-size: 17px; margin: 0; }
header nav ul { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; margin: 0; padding: 0; }
header nav a { color: #fff; text-decoration: none; padding: 6px 10px; border-radius: 6px; display: inline-block; }
header nav a[aria-current="page"], header nav a:hover { background: #57606a; }
#token-form { margin-left: auto; display: flex; gap: 6px; align-items: center; flex-wrap: wrap; font-size: 13px; }
#token-form input { width: 12em; padding: 4px 6px; border: 1px solid #8c959f; border-radius: 4px; }
#token-form button, button, .button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid #8c959f; background: #f6f8fa; color: var(--fg); cursor: pointer; }
button.primary { background: #1f6f3a; color: #fff; border-color: #1f6f3a; }
button.danger { background: var(--bad); color: #fff; border-color: var(--bad); }
main { padding: 12px 20px 32px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 22px; margin: 6px 0 10px; } h2 { font-size: 17px; margin: 18px 0 8px; } h3 { font-size: 15px; margin: 12px 0 6px; }
.status-line { color: var(--muted); font-size: 13px; margin: 0 0 8px; }
.banner { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; padding: 10px 14px; border-radius: 8px; border: 1px solid; margin: 8px 0; }
.banner.ok { background: var(--ok-bg); border-color: #8fd19e; } .banner.ok strong:first-child { color: var(--ok); }
.banner.bad { background: var(--bad-bg); border-color: #ffaba8; } .banner.bad strong:first-child { color: var(--bad); }
.banner.warn { background: var(--warn-bg); border-color: #e9c46a; }
.tier-picture { display: flex; flex-wrap: wrap; gap: 10px 24px; align-items: stretch; margin: 8px 0; }
.tiers { display: flex; flex-wrap: wrap; gap: 10px 34px; list-style: none; padding: 0; margin: 0; flex: 4 1 640px; }
.tiers.sides { flex: 1 1 170px; border-left: 2px dashed var(--line); padding-left: 24px; }
.tier { position: relative; min-width: 140px; flex: 1 1 140px; max-width: 240px; border: 2px solid; border-radius: 10px; padding: 6px 12px; display: flex; flex-direction: column; gap: 0; }
.tier.healthy { border-color: var(--ok); background: var(--ok-bg); } .tier.degraded { border-color: var(--warn); background: var(--warn-bg); }
.tier.unhealthy { border-color: var(--bad); background: var(--bad-bg); }
.tier-name { font-weight: 600; } .tier-count { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.tier-label { color: var(--muted); font-size: 13px; }
.tier .arrow { position: absolute; right: -28px; top: 38%; font-size: 22px; color: var(--muted); }
.health { font-weight: 600; white-space: nowrap; } .health.healthy { color: var(--ok); } .health.degraded { color: var(--warn); } .health.unhealthy { color: var(--bad); }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 0 28px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 12px 20px; }
.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; }
.chart figcaption { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 4px 12px; font-size: 13px; }
.chart-title { font-weight: 600; } .legend { display: flex; flex-wrap: wrap; gap: 4px 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
.chart svg { width: 100%; height: auto; display: block; }
.chart .grid { stroke: #eaeef2; } .chart .rule { stroke: var(--bad); stroke-dasharray: 4 3; }
.chart .axis { font-size: 12px; fill: var(--muted); } .chart .bar { fill: #0a58ca; } .chart .bar-track { fill: #eaeef2; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: var(--bg); font-weight: 600; } td.num { text-align: right; }
button.sort { border: 0; background: none; padding: 0; font-weight: 600; }
button.session { border: 0; background: none; padding: 0; color: var(--link); text-decoration: underline; font-family: ui-monospace, monospace; }
.alerts { padding-left: 18px; } .alerts .bad strong { color: var(--bad); } .alerts .warn strong { color: var(--warn); }
.pill { display: inline-block; background: var(--bg); border: 1px solid var(--line); border-radius: 12px; padding: 2px 10px; margin: 0 6px 6px 0; }
.muted { color: var(--muted); } .small { font-size: 12px; } .bad { color: var(--bad); }
.facts { display: grid; grid-template-columns: repeat(3, max-content minmax(0, 1fr)); gap: 2px 14px; } .facts dt { color: var(--muted); } .facts dd { margin: 0; overflow-wrap: anywhere; }
form.action { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 10px 0; display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; }
form.action fieldset { border: 0; padding: 0; margin: 0; display: contents; }
form.action legend { font-weight: 600; width: 100%; flex-basis: 100%; }
form.action label { display: flex; flex-direction: column; font-size: 13px; gap: 2px; }
form.action input, form.action select { font: inherit; padding: 4px 6px; border: 1px solid #8c959f; border-radius: 4px; }
form.action .hint { flex-basis: 100%; color: var(--muted); font-size: 13px; margin: 0; }
.placeholder { border: 2px dashed #8c959f; border-radius: 8px; padding: 4px 14px; background: var(--bg); }
.search { display: flex; gap: 8px; align-items: center; margin: 6px 0; } .search input { font: inherit; padding: 5px 8px; width: min(28em, 100%); border: 1px solid #8c959f; border-radius: 4px; }
dialog { border: 1px solid var(--line); border-radius: 10px; max-width: 28em; } dialog::backdrop { background: rgb(0 0 0 / 0.35); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 640px) {
  header { padding: 8px 10px; } main { padding: 8px 10px 24px; } #token-form { margin-left: 0; }
  .tiers { gap: 8px; } .tiers.sides { border-left: 0; padding-left: 0; } .tier { max-width: none; flex-basis: 45%; min-width: 130px; } .tier .arrow { display: none; }
  .charts, .columns { grid-template-columns: 1fr; } .facts { grid-template-columns: max-content 1fr; } .chart .axis { font-size: 16px; }
}
`;

export const CONSOLE_JS = `
(() => {
  "use strict";
  const KEY = "cqkd-console-token";
  // A token handed over in the address's fragment (never sent to a server) is kept for this tab, then removed.
  const handed = new URLSearchParams(location.hash.slice(1)).get("token");
  if (handed) { sessionStorage.setItem(KEY, handed); history.replaceState(null, "", location.pathname + location.search); }
  const token = () => sessionStorage.getItem(KEY) || "";
  const headers = (extra = {}) => token() ? { ...extra, authorization: "Bearer " + token() } : extra;
  const refreshMs = Number(document.body.dataset.refreshMs) || 2000;
  const statusLine = document.getElementById("refresh-status");
  const tokenState = document.getElementById("token-state");
  const showToken = () => { tokenState.textContent = token() ? "token set" : "no token"; };
  const banner = (kind, text) => { const p = document.createElement("p"); p.className = "banner " + kind; p.setAttribute("role", "alert"); p.textContent = text; return p; };
  const regions = [...document.querySelectorAll("[data-live]")];

  async function refresh(region) {
    const url = new URL(region.dataset.live, location.href);
    for (const input of document.querySelectorAll("[data-param]")) if (input.value) url.searchParams.set(input.dataset.param, input.value);
    if (region.dataset.sort) { url.searchParams.set("sort", region.dataset.sort); url.searchParams.set("dir", region.dataset.dir || "asc"); }
    if (region.dataset.session) url.searchParams.set("session", region.dataset.session);
    // Refreshes overlap (the timer, an action, a click): an answer older than the one shown is dropped, or a slow
    // answer to an earlier request would undo what a later one showed (a session picked from the table).
    const asked = region.asked = (region.asked || 0) + 1;
    const current = () => { if (asked < (region.shown || 0)) return false; region.shown = asked; return true; };
    try {
      const response = await fetch(url, { headers: headers() });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        if (!current()) return;
        region.shownHtml = undefined;
        region.replaceChildren(banner("bad", (response.status === 401 || response.status === 403 ? "Refused: " : "Error: ") + (body.error || response.status) + (response.status === 401 ? " (enter a token above)" : "")));
        statusLine.textContent = "refused at " + new Date().toLocaleTimeString();
        return;
      }
      const html = await response.text();
      if (!current()) return;
      region.dataset.updated = String(Date.now());
      statusLine.textContent = "Updated " + new Date().toLocaleTimeString() + " · refreshes every " + refreshMs / 1000 + " s";
      // The same fragment again: leave the page alone (what has focus, a click on its way, a selection).
      if (html === region.shownHtml) return;
      region.shownHtml = html;
      const active = document.activeElement && region.contains(document.activeElement) ? document.activeElement : undefined;
      const focused = active && (active.dataset.sort ? '[data-sort="' + active.dataset.sort + '"]' : active.dataset.session ? '[data-session="' + active.dataset.session + '"]' : undefined);
      region.innerHTML = html;
      if (focused) { const again = region.querySelector(focused); if (again) again.focus(); }
    } catch (error) {
      statusLine.textContent = "Cannot reach the console: " + error.message;
    }
  }
  const refreshAll = () => Promise.all(regions.map(refresh));

  for (const region of regions) {
    region.addEventListener("click", (event) => {
      const session = event.target.closest("[data-session]");
      if (session) { region.dataset.session = session.dataset.session; refresh(region); return; }
      const button = event.target.closest("[data-sort]");
      if (!button) return;
      region.dataset.dir = region.dataset.sort === button.dataset.sort && region.dataset.dir !== "desc" ? "desc" : "asc";
      region.dataset.sort = button.dataset.sort;
      refresh(region);
    });
  }
  let typing;
  for (const input of document.querySelectorAll("[data-param]")) {
    input.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(refreshAll, 200); });
  }

  const form = document.getElementById("token-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = form.elements.token.value.trim();
    if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
    form.elements.token.value = "";
    showToken();
    refreshAll();
  });
  document.getElementById("token-forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); showToken(); refreshAll(); });

  const dialog = document.getElementById("confirm-dialog");
  const confirmed = (text) => new Promise((resolve) => {
    dialog.querySelector("[data-confirm-text]").textContent = text;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.showModal();
  });

  for (const action of document.querySelectorAll("form[data-action]")) {
    action.addEventListener("submit", async (event) => {
      event.preventDefault();
      const output = document.getElementById(action.dataset.output);
      if (action.dataset.confirm && !(await confirmed(action.dataset.confirm))) return;
      const body = {};
      for (const [name, value] of new FormData(action)) body[name] = value;
      for (const box of action.querySelectorAll("input[type=checkbox]")) body[box.name] = box.checked;
      const submit = action.querySelector("[type=submit]");
      submit.disabled = true;
      output.replaceChildren(banner("warn", "Running…"));
      try {
        const method = action.dataset.method || "POST";
        const response = await fetch(action.dataset.action, method === "GET"
          ? { headers: headers() }
          : { method, headers: headers({ "content-type": "application/json" }), body: JSON.stringify(body) });
        if (!response.ok) {
          const answer = await response.json().catch(() => ({}));
          output.replaceChildren(banner("bad", "Refused (" + response.status + "): " + (answer.error || response.statusText)));
        } else {
          output.innerHTML = await response.text();
        }
      } catch (error) {
        output.replaceChildren(banner("bad", "Cannot reach the console: " + error.message));
      } finally {
        submit.disabled = false;
      }
      refreshAll();
    });
  }

  showToken();
  if (regions.length === 0) statusLine.textContent = "Actions run when asked; nothing here refreshes by itself.";
  refreshAll();
  setInterval(() => { if (!document.hidden) refreshAll(); }, refreshMs);
})();
`;
