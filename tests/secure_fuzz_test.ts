import assert from "node:assert/strict";
import { FUZZ_MODES, runFuzz } from "./_fuzz_run.ts";

const DATAGRAMS = 3000;

Deno.test(`A node in each transport mode survives ${DATAGRAMS} random, mutated and forged datagrams and keeps serving`, async (t) => {
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 32));
  console.log(`FUZZ_SEED=${seed}`);
  for (const mode of FUZZ_MODES) {
    await t.step(mode, async () => {
      const report = await runFuzz({ mode, datagrams: DATAGRAMS, seed, batch: 25 });
      console.log(`${mode}: slowest kind ${report.slowestKind.kind}, CPU µs per datagram:`, report.cpuUsPerDatagram);
      assert.ok(report.received >= DATAGRAMS * 0.95, `only ${report.received} datagrams reached the node`);
      assert.equal(report.legitFailed, 0, "every legitimate request was served");
      assert.ok(report.legitServed >= 2 * (DATAGRAMS / 25));
      for (const kind of ["bootstrap", "store-many", "deep-nesting", "sealed-future", "sealed-copied-certificate"]) {
        assert.ok(report.sentByKind[kind]! > 0, `no ${kind} datagram sent`);
      }
      assert.ok(Object.keys(report.cpuUsPerDatagram).length >= 20, "CPU measured for every kind the node received");
      if (mode !== "plain") {
        assert.ok(report.bootstrap.refusals.unproven! > 0, "joins under ids the sender did not prove were refused");
      }
      assert.ok(report.bootstrap.directory <= 64, "one address brought at most 64 directory entries");
      assert.equal(report.warnings, 0, "no handler failed");
      // Hand-overs to the insider (a contact that answers nothing) and repairs to the client go 16 stores at a time.
      const { pendingRequests } = report.structuresAfter;
      assert.ok(pendingRequests! <= 64, `${pendingRequests} requests of the node's own in flight`);
      const dropped = Object.values(report.dropped).reduce((a, b) => a + b, 0);
      assert.ok(dropped >= DATAGRAMS * 0.5, `only ${dropped} drops counted`);
      if (mode === "plain") {
        assert.ok(report.dropped["unknown-kind"]! > 0, "sealed datagrams are junk to a plain node");
      } else {
        for (const reason of ["no-envelope", "unknown-key", "unauthentic", "stale", "replayed", "forged-id"]) {
          assert.ok(report.dropped[reason]! > 0, `no drop counted as ${reason}`);
        }
      }
    });
  }
});
