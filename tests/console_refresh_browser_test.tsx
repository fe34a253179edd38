/// <reference lib="dom" />
/**
 * The console's page script in chromium against a scripted server: live regions whose refreshes overlap (the timer,
 * an action's refresh, a click on a session) show the newest request's answer, whatever order the answers arrive in.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { CONSOLE_JS } from "../ops/console/assets.ts";
import { Layout, Live } from "../ops/console/views/layout.tsx";
import { launchChromium, untilInPage } from "./_console_browser.ts";

Deno.test("a slow answer to an earlier refresh does not undo the session a later click showed", async () => {
  let slowAnswered = 0;
  const app = new Hono()
    .get("/", (c) =>
      c.html(
        <Layout page="keys" title="Key exchanges" refreshMs={600_000}>
          <Live src="/fragment" label="Sessions" />
        </Layout>,
      ))
    .get("/console/assets/console.js", (c) => c.body(CONSOLE_JS, 200, { "content-type": "text/javascript" }))
    .get("/fragment", async (c) => {
      const session = c.req.query("session");
      if (session !== undefined) return c.html(`<h3>Session ${session}</h3>`);
      // Without a picked session: the latest one, answered slowly, as Alice's host does while busy.
      await new Promise((resolve) => setTimeout(resolve, 800));
      slowAnswered++;
      return c.html(`<h3>Latest session s2</h3><button type="button" data-session="s1">s1</button>`);
    });
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  await using browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.addr.port}/`);
  await page.waitForSelector('[data-live] button[data-session="s1"]');

  // A refresh of the whole page (the token form's) goes out first and is answered slowly; the click's comes back first.
  const before = slowAnswered;
  await page.click('#token-form button[type="submit"]');
  await page.click('button[data-session="s1"]');
  await untilInPage(page, () => document.querySelector("[data-live] h3")?.textContent === "Session s1");
  while (slowAnswered === before) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 200)); // the browser takes in the slow answer
  assert.equal(await page.$eval("[data-live] h3", (h3) => h3.textContent), "Session s1");
});
