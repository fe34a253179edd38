import assert from "node:assert/strict";
import { NODE_ROLES } from "../role.ts";
import { DEFAULT_CAPACITY, homeTier, isJoinerRole, servedTier, tierDistance } from "./tier.ts";

Deno.test("homeTier() places every node role under its tier", () => {
  const placed = Object.fromEntries(NODE_ROLES.map((role) => [role, homeTier(role)]));
  assert.deepEqual(placed, {
    "super-bootstrap": "super",
    "regional-bootstrap": "super",
    "local-bootstrap": "regional",
    "worker": "local",
    "alice": "regional",
    "bob": "regional",
  });
  assert.ok(NODE_ROLES.every(isJoinerRole));
});

Deno.test("homeTier() throws RangeError for an unknown role", () => {
  for (const role of ["wizard", "toString", ""]) {
    assert.throws(() => homeTier(role), (error) => {
      assert.ok(error instanceof RangeError);
      assert.equal(
        error.message,
        `Cannot place role "${role}": expected one of super-bootstrap, regional-bootstrap, local-bootstrap, worker, ` +
          "alice, bob",
      );
      return true;
    });
    assert.equal(isJoinerRole(role), false);
  }
});

Deno.test("DEFAULT_CAPACITY and tierDistance() follow the 500 / 250 / 50 hierarchy", () => {
  assert.deepEqual(DEFAULT_CAPACITY, { super: 500, regional: 250, local: 50 });
  assert.equal(tierDistance("super", "local"), 2);
  assert.equal(tierDistance("local", "regional"), 1);
  assert.equal(tierDistance("regional", "regional"), 0);
});

Deno.test("servedTier() names the tier of the bootstrap roles only", () => {
  assert.equal(servedTier("super-bootstrap"), "super");
  assert.equal(servedTier("local-bootstrap"), "local");
  assert.equal(servedTier("worker"), undefined);
  assert.equal(servedTier("alice"), undefined);
});
