/// <reference lib="dom" />
/**
 * `deno task screenshots`: a local cluster of 50 workers, the console opened in chromium at 1280×800, and a
 * screenshot of each page (after a key exchange and a diagnosis, so that they have something to show) written to
 * docs/console/.
 */
import { join } from "node:path";
import { launchChromium, startTestCluster, untilInPage } from "./_console_browser.ts";

const out = Deno.args[0] ?? "docs/console";
await Deno.mkdir(out, { recursive: true });
await using cluster = await startTestCluster(50);
await using browser = await launchChromium();
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 800 });
const base = cluster.url.replace(/\/console$/, "");
const shoot = async (path: string, file: string, ready: string) => {
  await page.goto(`${base}${path}`);
  await page.waitForSelector(ready, { timeout: 60_000 });
  await new Promise((resolve) => setTimeout(resolve, 300)); // the fragment swapped in: let the layout settle
  await page.screenshot({ path: join(out, file) });
  console.log(`${out}/${file}`);
};

// Key exchanges at three noise levels (the QBER chart), then a few refreshes of the overview (its charts).
await page.goto(`${base}/console/keys#token=${cluster.state.token}`);
for (const noise of ["0", "0.02", "0.04"]) {
  await page.$eval('input[name="noise"]', (input, value) => (input as HTMLInputElement).value = value, noise);
  await page.click('#keygen-form button[type="submit"]');
  await untilInPage(page, () => document.querySelector('[data-testid="keygen-outcome"]'), { timeout: 60_000 });
  await page.$eval("#keygen-output", (output) => output.replaceChildren());
}
await page.goto(`${base}/console`);
await new Promise((resolve) => setTimeout(resolve, 12_000));
await shoot("/console", "overview.png", '[data-testid="network-health"]');
await page.screenshot({ path: join(out, "overview-full.png"), fullPage: true });
console.log(`${out}/overview-full.png`);
await shoot("/console/nodes", "nodes.png", "table.nodes");
await shoot("/console/nodes/worker-1", "node.png", ".chart svg");
await shoot("/console/keys", "keys.png", "[data-live] table");
await page.goto(`${base}/console/operations`);
await page.click('form[data-action$="/diagnose"] button[type="submit"]');
await untilInPage(page, () => !/Running/.test(document.getElementById("diagnose-output")?.textContent ?? "Running"), {
  timeout: 60_000,
});
await page.screenshot({ path: join(out, "operations.png") });
console.log(`${out}/operations.png`);
await page.setViewport({ width: 390, height: 844, isMobile: true });
await shoot("/console", "overview-phone.png", '[data-testid="network-health"]');
