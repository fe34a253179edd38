import assert from "node:assert/strict";
import { CheckBudget } from "./check_budget.ts";

Deno.test("CheckBudget grants what its tokens pay for, by cost, and earns them back at its rate up to the burst", () => {
  let now = 0;
  const budget = new CheckBudget({ ratePerS: 10, burst: 20, nowMs: () => now });
  assert.equal(budget.take(3, 4), 3, "12 of 20 tokens");
  assert.equal(budget.take(3, 4), 2, "8 tokens pay for 2 checks of 4");
  assert.equal(budget.allows(1), false);
  assert.equal(budget.refused, 1);
  now += 300; // 3 tokens back
  assert.equal(budget.take(10, 1), 3);
  now += 60_000;
  assert.equal(budget.take(100, 1), 20, "never more than the burst");
  assert.equal(budget.refused, 1 + 7 + 80);
});

Deno.test("CheckBudget refuses a rate that is not positive", () => {
  assert.throws(() => new CheckBudget({ ratePerS: 0 }), /Invalid health-check budget 0/);
  assert.throws(() => new CheckBudget({ ratePerS: 5, burst: 0.5 }), /Invalid health-check burst/);
});

Deno.test("CheckBudget allows nothing while held, and earns its tokens back only from the release", () => {
  let now = 0;
  let held = true;
  const budget = new CheckBudget({ ratePerS: 10, nowMs: () => now, held: () => held });
  assert.equal(budget.allows(1), false);
  now += 5000;
  assert.equal(budget.take(5, 1), 0);
  held = false;
  assert.equal(budget.take(5, 1), 0, "nothing earned while held");
  now += 200;
  assert.equal(budget.take(5, 1), 2);
});

Deno.test("CheckBudget.grant() cuts a batch to what it pays for, and lists none when it cannot pay for one", () => {
  let listed = 0;
  const batch = () => (listed++, ["a", "b", "c"]);
  const budget = new CheckBudget({ ratePerS: 1, burst: 9, nowMs: () => 0 });
  assert.deepEqual(budget.grant("medium", batch), ["a", "b"], "9 tokens pay for two checks of 4");
  assert.deepEqual(budget.grant("medium", batch), [], "1 token left");
  assert.equal(listed, 1, "the batch is not listed when the budget cannot pay");
  assert.deepEqual(budget.grant("fast", batch), ["a"]);
  assert.equal(budget.refused, 1 + 1 + 2);
});
