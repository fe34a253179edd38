import assert from "node:assert/strict";
import { LossWindow } from "./loss_window.ts";

Deno.test("LossWindow suspects a partition when half the contacts go within the window, at least three", () => {
  let clock = 0;
  const window = new LossWindow({ windowMs: 1000, now: () => clock });
  window.record();
  window.record();
  assert.equal(window.suspected(0), false, "two losses are churn, whatever the table");
  window.record();
  assert.equal(window.suspected(3), true, "3 of 6");
  assert.equal(window.suspected(4), false, "3 of 7");
  clock = 1001;
  assert.equal(window.suspected(0), false, "the losses left the window");
});
