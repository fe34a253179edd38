import assert from "node:assert/strict";
import { ConfigError } from "./errors.ts";
import type { SettingValue } from "./field.ts";
import { allowedText, parseField } from "./_parse.ts";
import { settingField } from "./schema.ts";

const ENV = { source: "env", label: "env TEST" } as const;

function parse(name: string, raw: unknown): SettingValue {
  return parseField(settingField(name) ?? assert.fail(`no setting ${name}`), raw, ENV);
}

function assertRefused(name: string, raw: unknown, problem: string): void {
  assert.throws(() => parse(name, raw), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.field, name);
    assert.equal(error.source, "env");
    assert.equal(error.message, `Invalid setting ${name} from env TEST: ${problem} (allowed: ${error.allowed})`);
    return true;
  });
}

Deno.test("parseField() reads bool text case-insensitively and typed booleans", () => {
  for (const text of ["true", "TRUE", "Yes", "1", " yes "]) assert.equal(parse("enable_health_check", text), true);
  for (const text of ["false", "False", "NO", "0"]) assert.equal(parse("enable_health_check", text), false);
  assert.equal(parse("enable_health_check", false), false);
  assertRefused("enable_health_check", "maybe", `"maybe" is not a boolean`);
  assertRefused("enable_health_check", "", `"" is not a boolean`);
  assertRefused("enable_health_check", 1, "1 is not a boolean");
});

Deno.test("parseField() reads integers within bounds", () => {
  assert.equal(parse("base_port", "7100"), 7100);
  assert.equal(parse("base_port", " +7100 "), 7100);
  assert.equal(parse("base_port", 65535), 65535);
  assert.equal(parse("dht_port", "0"), 0);
  assertRefused("base_port", "abc", `"abc" is not an integer`);
  assertRefused("base_port", "7000.5", `"7000.5" is not an integer`);
  assertRefused("base_port", 7000.5, "7000.5 is not an integer");
  assertRefused("base_port", null, "null is not an integer");
  assertRefused("base_port", "0", "0 is out of range");
  assertRefused("dht_port", "65536", "65536 is out of range");
  assertRefused("ksize", 1, "1 is out of range");
  assertRefused("max_value_bytes", 8141, "8141 is out of range");
  assertRefused("value_ttl", "99999999999999999999", "100000000000000000000 is out of range");
});

Deno.test("parseField() reads floats and refuses non-positive timeouts", () => {
  assert.equal(parse("rpc_timeout", "2.5"), 2.5);
  assert.equal(parse("rpc_timeout", ".5"), 0.5);
  assert.equal(parse("rpc_timeout", "1e1"), 10);
  assert.equal(parse("port_allocation_timeout", 3), 3);
  assertRefused("rpc_timeout", "fast", `"fast" is not a number`);
  assertRefused("rpc_timeout", "0", "0 is out of range");
  assertRefused("rpc_timeout", -1, "-1 is out of range");
  assertRefused("rpc_timeout", Infinity, "Infinity is not a number");
});

Deno.test("parseField() keeps strings as given and refuses empty required ones", () => {
  assert.equal(parse("node_name", "sb-primary"), "sb-primary");
  assert.equal(parse("region", ""), "");
  assert.equal(parse("bind_host", "cqkd-sb-primary"), "cqkd-sb-primary");
  assertRefused("bind_host", "", `"" is empty`);
  assertRefused("node_name", 42, "42 is not a string");
});

Deno.test("parseField() reads enum choices, ignoring case in text", () => {
  assert.equal(parse("bootstrap_level", "super"), "super");
  assert.equal(parse("bootstrap_level", "Regional"), "regional");
  assert.equal(parse("bootstrap_level", ""), "");
  assert.equal(parse("log_level", "DEBUG"), "debug");
  assertRefused("bootstrap_level", "mega", `"mega" is not one of the choices`);
  assertRefused("log_level", true, "true is not one of the choices");
});

Deno.test("parseField() reads string lists from comma-separated text or lists", () => {
  assert.deepEqual(parse("health_check_levels", "fast, deep"), ["fast", "deep"]);
  assert.deepEqual(parse("health_check_levels", ""), []);
  assert.deepEqual(parse("health_check_levels", ["medium"]), ["medium"]);
  assertRefused("health_check_levels", "fast,slow", `item "slow" is not one of the choices`);
  assertRefused("health_check_levels", [1], "item 1 is not a string");
  assertRefused("health_check_levels", 3, "3 is not a list");
});

Deno.test("parseField() reads host:port lists, keeping host names as given", () => {
  const text = "sb-primary:5678, 10.0.0.2:65535,[::1]:1";
  assert.deepEqual(parse("bootstrap_nodes", text), ["sb-primary:5678", "10.0.0.2:65535", "[::1]:1"]);
  assert.deepEqual(parse("bootstrap_nodes", "a:1,,b:2,"), ["a:1", "b:2"]);
  assert.deepEqual(parse("fallback_bootstrap_nodes", ["127.0.0.1:5678"]), ["127.0.0.1:5678"]);
  assertRefused("bootstrap_nodes", "sb-primary", `item "sb-primary" is not host:port`);
  assertRefused("bootstrap_nodes", "h:0", `item "h:0" is not host:port`);
  assertRefused("bootstrap_nodes", "h:70000", `item "h:70000" is not host:port`);
  assertRefused("bootstrap_nodes", ":5678", `item ":5678" is not host:port`);
  assertRefused("bootstrap_nodes", "::1:5678", `item "::1:5678" is not host:port`);
});

Deno.test("allowedText() describes what each kind accepts", () => {
  const allowed = (name: string) => allowedText(settingField(name) ?? assert.fail(name));
  assert.equal(allowed("base_port"), "integer 1-65535");
  assert.equal(allowed("max_connections"), "integer >= 0");
  assert.equal(allowed("rpc_timeout"), "number > 0");
  assert.equal(allowed("enable_fallback_mode"), "true, false, yes, no, 1 or 0");
  assert.equal(allowed("state_dir"), "non-empty string");
  assert.equal(allowed("region"), "string");
  assert.equal(allowed("bootstrap_level"), `one of "", "super", "regional", "local"`);
  assert.equal(allowed("health_check_levels"), `comma-separated list of "fast", "medium", "deep"`);
  assert.equal(allowed("bootstrap_nodes"), "comma-separated list of host:port with port 1-65535");
});
