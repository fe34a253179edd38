import assert from "node:assert/strict";
import { formatScrapeTargets, LOCAL_TARGETS_FILE } from "./scrape_targets.ts";

const MONITORING = new URL("../../compose/monitoring/", import.meta.url).pathname;

/** Where the Debian packages put the tools; the message says what to install when one is missing. */
const TOOLS = {
  promtool: { path: "/usr/bin/promtool", pkg: "prometheus" },
  amtool: { path: "/usr/bin/amtool", pkg: "prometheus-alertmanager" },
} as const;

/** Runs a monitoring tool in `cwd`; fails the test (never skips it) when the tool is not installed. */
async function run(tool: keyof typeof TOOLS, args: string[], cwd = MONITORING): Promise<string> {
  const { path, pkg } = TOOLS[tool];
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(path, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(`Cannot run ${path}: it is not installed (apt-get install -y ${pkg})`, { cause: error });
  }
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `${tool} ${args.join(" ")} failed:\n${text}`);
  return text;
}

Deno.test("promtool check config accepts prometheus.yml with a targets file as cqkd startup writes it", async () => {
  // A copy, so that the targets file written for the check does not land in the repository.
  const dir = await Deno.makeTempDir({ prefix: "cqkd_monitoring_" });
  try {
    await Deno.mkdir(`${dir}/rules`);
    await Deno.mkdir(`${dir}/targets`);
    for (const file of ["prometheus.yml", "rules/cqkd_alerts.yml"]) {
      await Deno.copyFile(MONITORING + file, `${dir}/${file}`);
    }
    await Deno.writeTextFile(
      `${dir}/${LOCAL_TARGETS_FILE.replace("compose/monitoring/", "")}`,
      formatScrapeTargets([
        { process: "host-0", admin: { host: "127.0.0.1", port: 9101 } },
        { process: "host-1", admin: { host: "127.0.0.1", port: 9102 } },
      ]),
    );
    const text = await run("promtool", ["check", "config", "prometheus.yml"], dir);
    assert.doesNotMatch(text, /WARNING/, text);
    assert.match(text, /SUCCESS: 1 rule files found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("promtool check rules accepts the alert rules", async () => {
  assert.match(await run("promtool", ["check", "rules", "rules/cqkd_alerts.yml"]), /SUCCESS: \d+ rules found/);
});

Deno.test("promtool test rules: every alert fires past its threshold and stays silent below it", async () => {
  assert.match(await run("promtool", ["test", "rules", "rules/cqkd_alerts_test.yml"]), /SUCCESS/);
});

Deno.test("amtool check-config accepts alertmanager.yml", async () => {
  assert.match(await run("amtool", ["check-config", "alertmanager.yml"]), /SUCCESS/);
});
