/// <reference lib="dom" />
/**
 * The web console in a real browser (Debian's chromium, through puppeteer-core) against a real local cluster of
 * 50 workers started with `cqkd startup`: what an operator sees and does, and that the gate holds.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { AuditLog } from "../ops/audit/mod.ts";
import { DEFAULT_REFRESH_MS } from "../ops/console/routes.tsx";
import { cqkd } from "./_cli.ts";
import { launchChromium, startTestCluster, untilInPage } from "./_console_browser.ts";

const TIERS = [["super", 2], ["regional", 4], ["local", 8], ["worker", 50], ["alice-bob", 2]] as const;

const text = (page: Page, testId: string) =>
  page.$eval(`[data-testid="${testId}"]`, (element) => element.textContent ?? "");

Deno.test("the console in chromium: tiers of a 50-worker cluster, a key exchange, a refused action, a host killed", async (t) => {
  await using cluster = await startTestCluster(50);
  await using browser = await launchChromium();
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });

  await t.step("cqkd status --json and cqkd console give the console's address", async () => {
    const status = JSON.parse((await cqkd([...cluster.args, "status", "--json"])).stdout);
    assert.equal(status.console_url, cluster.url);
    const printed = await cqkd([...cluster.args, "console", "--no-open"]);
    assert.equal(printed.stdout.trim(), cluster.url);
  });

  await t.step("the overview shows every tier's counts and healthy", async () => {
    await page.goto(cluster.url);
    await untilInPage(
      page,
      () => /: healthy/.test(document.querySelector('[data-testid="network-health"]')?.textContent ?? ""),
      { timeout: 30_000 },
    );
    for (const [tier, expected] of TIERS) {
      assert.equal(await text(page, `tier-${tier}-ready`), String(expected), tier);
      assert.match(await text(page, `tier-${tier}-health`), /healthy/, tier);
    }
  });

  await t.step("the nodes table narrows to a search and sorts from the keyboard", async () => {
    await page.goto(cluster.url.replace(/\/console$/, "/console/nodes"));
    await page.waitForSelector("table.nodes");
    await page.type("#node-search", "local");
    await untilInPage(
      page,
      () => /^8 of 66 nodes match/.test(document.querySelector('[data-testid="nodes-count"]')?.textContent ?? ""),
    );
    await page.$eval('button[data-sort="contacts"]', (button) => (button as HTMLButtonElement).focus());
    await page.keyboard.press("Enter");
    await untilInPage(page, () => document.querySelector('th[aria-sort="ascending"] [data-sort="contacts"]'));
    const contacts = await page.$$eval(
      "table.nodes tbody tr td:nth-child(5)",
      (cells) => cells.map((c) => Number(c.textContent)),
    );
    assert.equal(contacts.length, 8);
    assert.deepEqual(contacts, [...contacts].sort((a, b) => a - b));
  });

  await t.step("an action without a token is refused, and audited", async () => {
    await page.goto(cluster.url.replace(/\/console$/, "/console/operations"));
    await page.type('input[name="assignments"]', "alpha=4");
    page.once("dialog", () => assert.fail("the console asks with its own dialog, not window.confirm"));
    await page.click('form[data-action$="/tune"] button[type="submit"]');
    await page.waitForSelector("#confirm-dialog[open]");
    await page.click('#confirm-dialog button[value="confirm"]');
    await untilInPage(page, () => /Refused \(401\)/.test(document.getElementById("tune-output")?.textContent ?? ""));
    const audit = AuditLog.read(`${cluster.stateDir}/audit.jsonl`).entries;
    assert.ok(audit.some((e) => e.path === "/console/api/actions/tune" && e.status === 401 && e.who === "anonymous"));
  });

  await t.step("a key exchange started from the page shows its QBER and outcome", async () => {
    await page.goto(cluster.url.replace(/\/console$/, "/console/keys"));
    await page.type("#token-input", cluster.state.token);
    await page.click('#token-form button[type="submit"]');
    await page.$eval('input[name="bits"]', (input) => (input as HTMLInputElement).value = "128");
    await page.click('#keygen-form button[type="submit"]');
    await page.waitForSelector('[data-testid="keygen-outcome"]', { timeout: 60_000 });
    assert.equal(await text(page, "keygen-outcome"), "keys agree");
    const qber = Number(await text(page, "keygen-qber"));
    assert.ok(qber >= 0 && qber <= 0.11, `QBER ${qber}`);
    const session = await page.$eval('[data-testid="keygen-result"] code', (code) => code.textContent ?? "");
    await untilInPage(
      page,
      (id) => document.querySelector("[data-live] table")?.textContent?.includes(id),
      {},
      session,
    );
    // A second session; then the first one's id brings its own timeline back.
    await page.$eval("#keygen-output", (output) => output.replaceChildren());
    await page.click('#keygen-form button[type="submit"]');
    await page.waitForSelector('[data-testid="keygen-outcome"]', { timeout: 60_000 });
    // Found and clicked in one call into the page: `$eval` finds the button in one call and clicks it in another, and
    // a refresh that swaps the live region between the two leaves it clicking a detached button nobody listens to.
    await page.evaluate((id) => {
      document.querySelector<HTMLButtonElement>(`[data-live] button[data-session="${id}"]`)!.click();
    }, session);
    await untilInPage(
      page,
      (id) => document.querySelector("[data-live] h3")?.textContent === `Session ${id}`,
      {},
      session,
    ).catch(async (error) => {
      // What the page shows and what the console answers, so that a failure says which side is wrong.
      const shown = await page.evaluate(() => {
        const region = document.querySelector<HTMLElement>("[data-live]")!;
        return {
          h3: region.querySelector("h3")?.textContent,
          selected: region.dataset.session,
          status: document.getElementById("refresh-status")?.textContent,
          visibility: document.visibilityState,
          rows: [...region.querySelectorAll("button[data-session]")].map((b) => b.getAttribute("data-session")),
        };
      });
      const url = `${cluster.url}/api/keys?session=${session}`;
      const answer = await fetch(url, { headers: { authorization: `Bearer ${cluster.state.token}` } });
      const html = await answer.text();
      const served = `${answer.status} ${html.match(/<h3>[\s\S]*?<\/h3>/)?.[0] ?? html.slice(0, 300)}`;
      throw new Error(`${error.message}; page: ${JSON.stringify(shown)}; ${url} answers ${served}`);
    });
    assert.ok(await page.$("[data-live] h3 + figure svg"), "the session's timeline");
    const html = await page.content();
    assert.doesNotMatch(html, /"key"\s*:/, "no key material on the page");
  });

  await t.step("with the write token, tune changes every node of the cluster", async () => {
    await page.goto(cluster.url.replace(/\/console$/, "/console/operations"));
    await page.type('input[name="assignments"]', "alpha=4");
    await page.click('form[data-action$="/tune"] button[type="submit"]');
    await page.waitForSelector("#confirm-dialog[open]");
    await page.click('#confirm-dialog button[value="confirm"]');
    await untilInPage(page, () => /now in force/.test(document.getElementById("tune-output")?.textContent ?? ""));
    const output = await page.$eval("#tune-output", (o) => o.textContent ?? "");
    assert.match(output, /kademlia parameters now in force on 66 nodes/);
    const rows = await page.$$eval(
      "#tune-output tbody tr",
      (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent ?? "")),
    );
    assert.ok(rows.every(([values]) => values!.startsWith("alpha=4 ")), JSON.stringify(rows));
    assert.equal(rows.reduce((sum, [, nodes]) => sum + Number(nodes), 0), 66);
  });

  await t.step("every control of every page has an accessible name, and every chart a description", async () => {
    const base = cluster.url.replace(/\/console$/, "");
    for (
      const path of ["/console", "/console/nodes", "/console/nodes/worker-1", "/console/keys", "/console/operations"]
    ) {
      await page.goto(`${base}${path}`);
      await untilInPage(
        page,
        () => [...document.querySelectorAll("[data-live]")].every((r) => r.hasAttribute("data-updated")),
      );
      const unnamed = await page.$$eval(
        "input, select, button, a[href], svg",
        (elements) =>
          elements.filter((element) => {
            if (element.closest("dialog:not([open])")) return false;
            const labels = (element as HTMLInputElement).labels;
            const name = element.getAttribute("aria-label") ??
              (labels && labels.length > 0 ? [...labels].map((l) => l.textContent).join(" ") : element.textContent);
            return element.tagName === "svg" ? !element.getAttribute("aria-label") : !name?.trim();
          }).map((element) => element.outerHTML.slice(0, 100)),
      );
      assert.deepEqual(unnamed, [], path);
      assert.equal(await page.$eval("html", (html) => html.lang), "en");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content", path);
    }
  });

  await t.step("killing a host process turns it unhealthy within the refresh interval", async () => {
    await page.goto(cluster.url);
    await untilInPage(
      page,
      () => /: healthy/.test(document.querySelector('[data-testid="network-health"]')?.textContent ?? ""),
    );
    const victim = cluster.state.hosts.filter((h) => h.workerPorts !== undefined).at(-1)!;
    Deno.kill(victim.pid, "SIGKILL");
    // The refresh running when the process died may still show it alive; the next one must not.
    await untilInPage(
      page,
      () => /: unhealthy/.test(document.querySelector('[data-testid="network-health"]')?.textContent ?? ""),
      { timeout: 2 * DEFAULT_REFRESH_MS + 1000 },
    );
    assert.match(await text(page, "tier-worker-health"), /degraded/);
    assert.equal(await text(page, "tier-worker-ready"), "25");
    assert.match(await page.$eval("main", (m) => m.textContent ?? ""), new RegExp(`${victim.name}.*down`, "s"));
  });

  await t.step(
    "recover from the operations page, confirmed, brings the host process back and the network healthy",
    async () => {
      await page.goto(cluster.url.replace(/\/console$/, "/console/operations"));
      await page.click('form[data-action$="/recover"] button[type="submit"]');
      await page.waitForSelector("#confirm-dialog[open]");
      await page.click('#confirm-dialog button[value="confirm"]');
      await untilInPage(
        page,
        () => /verify network (passed|FAILED)/.test(document.getElementById("recover-output")?.textContent ?? ""),
        { timeout: 120_000 },
      );
      assert.match(await page.$eval("#recover-output", (o) => o.textContent ?? ""), /verify network passed/);
      await page.goto(cluster.url);
      await untilInPage(
        page,
        () => /: healthy/.test(document.querySelector('[data-testid="network-health"]')?.textContent ?? ""),
        { timeout: 10_000 },
      );
      const audit = AuditLog.read(`${cluster.stateDir}/audit.jsonl`).entries;
      assert.ok(
        audit.some((e) => e.path === "/console/api/actions/recover" && e.status === 200 && e.who === "cluster"),
      );
    },
  );
});
