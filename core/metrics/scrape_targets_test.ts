import assert from "node:assert/strict";
import { formatScrapeTargets } from "./scrape_targets.ts";

Deno.test("formatScrapeTargets() writes one file_sd group per process with its process label", () => {
  const text = formatScrapeTargets([
    { process: "host-0", admin: { host: "127.0.0.1", port: 9101 } },
    { process: "host-1", admin: { host: "::1", port: 9102 } },
  ]);
  assert.deepEqual(JSON.parse(text), [
    { targets: ["127.0.0.1:9101"], labels: { process: "host-0" } },
    { targets: ["[::1]:9102"], labels: { process: "host-1" } },
  ]);
  assert.ok(text.endsWith("\n"));
});

Deno.test("formatScrapeTargets() of no process is an empty list", () => {
  assert.deepEqual(JSON.parse(formatScrapeTargets([])), []);
});
