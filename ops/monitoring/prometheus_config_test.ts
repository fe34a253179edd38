import assert from "node:assert/strict";
import { parse } from "yaml";
import { prometheusConfig } from "./prometheus_config.ts";

const RULES = new URL("../../compose/monitoring/rules/cqkd_alerts.yml", import.meta.url).pathname;

Deno.test("prometheusConfig() scrapes the targets file, loads the rules and alerts the Alertmanager", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cqkd_promconfig_" });
  try {
    const text = prometheusConfig({
      targetsFile: `${dir}/targets.json`,
      ruleFiles: [RULES],
      alertmanager: "127.0.0.1:9093",
      scrapeIntervalS: 5,
    });
    const config = parse(text);
    assert.deepEqual(config.scrape_configs[0].file_sd_configs[0].files, [`${dir}/targets.json`]);
    assert.equal(config.global.scrape_interval, "5s");
    assert.deepEqual(config.alerting.alertmanagers[0].static_configs[0].targets, ["127.0.0.1:9093"]);
    await Deno.writeTextFile(`${dir}/targets.json`, "[]\n");
    await Deno.writeTextFile(`${dir}/prometheus.yml`, text);
    const output = await new Deno.Command("/usr/bin/promtool", {
      args: ["check", "config", `${dir}/prometheus.yml`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, said);
    assert.match(said, /SUCCESS: 1 rule files found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
