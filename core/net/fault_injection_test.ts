import assert from "node:assert/strict";
import { FaultInjector } from "./fault_injection.ts";
import { RpcTimeoutError } from "./rpc_errors.ts";
import { RpcRegistry } from "./rpc_registry.ts";
import { UdpTransport } from "./udp_transport.ts";

function echoRegistry(): RpcRegistry {
  const registry = new RpcRegistry();
  registry.register("echo", (args) => args[0]);
  return registry;
}

Deno.test("FaultInjector.from() gives none when nothing is injected", () => {
  assert.equal(FaultInjector.from(undefined), undefined);
  assert.equal(FaultInjector.from({ dropProbability: 0, delayMs: 0, jitterMs: 0 }), undefined);
  assert.ok(FaultInjector.from({ delayMs: 5 }));
});

Deno.test("FaultInjector.fate() drops below the probability and delays by delay plus jitter", () => {
  const draws = [0.04, 0.06, 0.5];
  const faults = new FaultInjector({ dropProbability: 0.05, delayMs: 50, jitterMs: 10, random: () => draws.shift()! });
  assert.equal(faults.fate(), "drop");
  assert.equal(faults.fate(), 55); // 0.06 passes the drop draw, 0.5 of the jitter
});

Deno.test("FaultInjector refuses a probability outside 0..1 and a negative delay", () => {
  assert.throws(() => new FaultInjector({ dropProbability: 1.5 }), {
    name: "RangeError",
    message: "Cannot inject faults: drop probability 1.5 is outside 0..1",
  });
  assert.throws(() => new FaultInjector({ delayMs: -1 }), {
    name: "RangeError",
    message: "Cannot inject faults: delay -1 ms (jitter 0 ms) is negative",
  });
});

Deno.test("UdpTransport with fault_drop_probability 1 sends nothing and counts every drop", async () => {
  await using server = UdpTransport.listen(echoRegistry());
  await using client = UdpTransport.listen(new RpcRegistry(), { faults: { dropProbability: 1 } });
  for (let i = 0; i < 3; i++) {
    await assert.rejects(client.request(server.address, "echo", [i], { timeoutMs: 50 }), RpcTimeoutError);
  }
  assert.equal(client.stats.injectedDrops, 3);
  assert.equal(client.stats.datagramsOut, 0);
  assert.equal(server.stats.datagramsIn, 0);
});

Deno.test("UdpTransport with a drop probability loses about that share of its datagrams on real UDP", async () => {
  await using server = UdpTransport.listen(echoRegistry());
  await using client = UdpTransport.listen(new RpcRegistry(), { faults: { dropProbability: 0.5 } });
  const outcomes = await Promise.allSettled(
    Array.from({ length: 200 }, (_, i) => client.request(server.address, "echo", [i], { timeoutMs: 300 })),
  );
  const answered = outcomes.filter((o) => o.status === "fulfilled").length;
  assert.equal(client.stats.injectedDrops + client.stats.datagramsOut, 200);
  assert.equal(answered, server.stats.requestsIn, "the answering side injects nothing");
  assert.ok(client.stats.injectedDrops > 50 && client.stats.injectedDrops < 150, `${client.stats.injectedDrops}`);
});

Deno.test("UdpTransport with fault_delay_ms holds every datagram at least that long", async () => {
  await using server = UdpTransport.listen(echoRegistry(), { faults: { delayMs: 40 } });
  await using client = UdpTransport.listen(new RpcRegistry(), { faults: { delayMs: 40, jitterMs: 20 } });
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    assert.equal(await client.request(server.address, "echo", [i]), i);
    const elapsedMs = performance.now() - start;
    assert.ok(elapsedMs >= 80, `a round trip took ${elapsedMs} ms, under the two 40 ms delays`);
  }
  assert.equal(client.stats.injectedDrops, 0);
});

Deno.test("UdpTransport.close() discards the datagrams still held back by a delay", async () => {
  await using server = UdpTransport.listen(echoRegistry());
  const client = UdpTransport.listen(new RpcRegistry(), { faults: { delayMs: 10_000 } });
  const pending = assert.rejects(client.request(server.address, "echo", [1]), { name: "TransportClosedError" });
  await client.close(); // no timer may outlive the transport (the test's sanitizer checks)
  await pending;
  assert.equal(client.stats.datagramsOut, 0);
});
