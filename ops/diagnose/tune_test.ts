import assert from "node:assert/strict";
import { CommandError } from "../exit_codes.ts";
import { parseAssignments } from "./tune.ts";

Deno.test("parseAssignments() reads name=number assignments of a group's parameters", () => {
  assert.deepEqual(parseAssignments("kademlia", ["k=30", " alpha=5 "]), { k: 30, alpha: 5 });
  assert.deepEqual(parseAssignments("health-check", ["fast_interval_s=0.5"]), { fast_interval_s: 0.5 });
  assert.deepEqual(parseAssignments("refresh", []), {});
});

Deno.test("parseAssignments() refuses unknown names, non-numbers and out-of-bounds values in one line", async (t) => {
  const refused = (group: "kademlia" | "refresh", assignment: string, message: RegExp) =>
    assert.throws(() => parseAssignments(group, [assignment]), (error) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, message);
      return true;
    });
  await t.step("unknown name", () =>
    refused(
      "kademlia",
      "ksize=30",
      /^Unknown kademlia parameter in --set "ksize=30": expected one of alpha, k, timeout_ms, refresh_interval_s \(a setting goes before the subcommand/,
    ));
  await t.step("another group's name", () => refused("refresh", "k=3", /^Unknown refresh parameter/));
  await t.step("not a number", () => refused("kademlia", "k=many", /^Invalid --set "k=many": expected k=<number>$/));
  await t.step("no value", () => refused("kademlia", "k=", /^Invalid --set "k=": expected k=<number>$/));
  await t.step(
    "out of bounds",
    () => refused("kademlia", "alpha=0", /^Invalid alpha 0: expected a whole number within 1-32$/),
  );
});
