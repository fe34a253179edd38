import assert from "node:assert/strict";
import { GenerationalMap } from "./generational_map.ts";

Deno.test("GenerationalMap keeps at most its limit and the entries in use", () => {
  const map = new GenerationalMap<number, string>(4);
  map.set(1, "one");
  map.set(2, "two");
  map.set(3, "three");
  assert.equal(map.get(1), "one", "an old entry read is promoted");
  map.set(4, "four");
  map.set(5, "five");
  assert.ok(map.size <= 4);
  assert.equal(map.get(1), "one");
  assert.equal(map.get(2), undefined, "the untouched oldest entry went first");
});
